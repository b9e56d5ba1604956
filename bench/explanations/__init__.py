"""Explanations of a classifier's decision, by concept: the explainers and the measures of their maps.

- ``attribution``: feature attributions (Captum) shaped like the input, registry ``ATTRIBUTIONS``:
  Integrated Gradients (the one IG of bench), Input×Gradient, SmoothGrad, GradientShap (paper 000).
- ``interpreters``: one map per requested class, registry ``INTERPRETERS``: CAM, GradCAM, signed
  GradCAM, GradCAM++ and IG summed over channels (paper 001, §2).
- ``space``: the input space a map lives in (the network's normalised input or [0,1] pixels).
- measures of maps: ``gini`` (paper 000, §3.1), ``discrepancy`` (paper 001, eqs. 3–4, 7) and
  ``kendall`` (Kendall's τ, paper 001, §5.2).
"""

from bench.explanations.attribution import ATTRIBUTIONS, AttributionParams, attribute
from bench.explanations.discrepancy import (
    authors_target_free_discrepancy,
    discrepancy,
    normalized_discrepancy,
    target_free_discrepancy,
)
from bench.explanations.gini import gini, gini_global, gini_regional, region_sums
from bench.explanations.interpreters import INTERPRETERS, interpret, last_conv_layer
from bench.explanations.kendall import kendall_tau
from bench.explanations.space import InputSpace, input_space

__all__ = [
    "ATTRIBUTIONS",
    "INTERPRETERS",
    "AttributionParams",
    "InputSpace",
    "attribute",
    "authors_target_free_discrepancy",
    "discrepancy",
    "gini",
    "gini_global",
    "gini_regional",
    "input_space",
    "interpret",
    "kendall_tau",
    "last_conv_layer",
    "normalized_discrepancy",
    "region_sums",
    "target_free_discrepancy",
]
