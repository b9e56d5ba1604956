"""Explanations of a classifier's decision, by concept: the explainers and the measures of their maps.

- ``registry``: one registry of explainers, ``EXPLAINERS``; each offers an ``attribute`` form
  (feature attributions shaped like the input, paper 000) and/or a ``class_maps`` form (one map
  per requested class, paper 001, §2).
- ``attribution``: Input×Gradient, SmoothGrad, GradientShap (Captum) and ``attribute``.
- ``integrated_gradients``: the one IG of bench, in both forms.
- ``interpreters``: CAM, GradCAM, signed GradCAM, GradCAM++ and ``interpret``.
- ``space``: the input space a map lives in (the network's normalised input or [0,1] pixels).
- measures of maps: ``gini`` (paper 000, §3.1), ``discrepancy`` (paper 001, eqs. 3–4, 7) and
  ``kendall`` (Kendall's τ, paper 001, §5.2).
"""

from bench.explanations import integrated_gradients  # noqa: F401  (registers IG)
from bench.explanations.attribution import AttributionParams, attribute
from bench.explanations.discrepancy import (
    authors_target_free_discrepancy,
    discrepancy,
    normalized_discrepancy,
    target_free_discrepancy,
)
from bench.explanations.gini import gini, gini_global, gini_regional, region_sums
from bench.explanations.interpreters import interpret, last_conv_layer
from bench.explanations.kendall import kendall_tau
from bench.explanations.registry import EXPLAINERS, Explainer, explainers_with
from bench.explanations.space import InputSpace, input_space

__all__ = [
    "EXPLAINERS",
    "Explainer",
    "AttributionParams",
    "InputSpace",
    "attribute",
    "authors_target_free_discrepancy",
    "discrepancy",
    "explainers_with",
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
