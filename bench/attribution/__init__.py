"""Feature attribution (Captum) and the inequality measures of paper 000 computed on it."""

from bench.attribution.gini import gini, gini_global, gini_regional, region_sums
from bench.attribution.methods import ATTRIBUTIONS, AttributionParams, attribute
from bench.attribution.space import InputSpace, input_space

__all__ = [
    "ATTRIBUTIONS",
    "AttributionParams",
    "InputSpace",
    "attribute",
    "gini",
    "gini_global",
    "gini_regional",
    "input_space",
    "region_sums",
]
