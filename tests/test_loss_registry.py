"""The training-loss registry: every recipe method has exactly one registered loss."""

from __future__ import annotations

from typing import get_args

from bench.training.losses import LOSSES
from bench.training.recipe import Method, get_recipe, recipe_files


def test_every_recipe_method_has_a_registered_loss_and_nothing_else_is_registered():
    assert set(LOSSES.names()) == set(get_args(Method))


def test_every_shipped_recipe_resolves_to_a_loss():
    for name in recipe_files():
        assert get_recipe(name).method in LOSSES
