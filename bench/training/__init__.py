"""Training recipes (paper 001's Int / Int2 and baselines, paper 000's Cutout + adversarial training)."""

from bench.training.recipe import Recipe, get_recipe, recipe_files
from bench.training.trainer import TrainResult, train

__all__ = ["Recipe", "TrainResult", "get_recipe", "recipe_files", "train"]
