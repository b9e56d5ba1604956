"""Interpretation maps and their robustness (paper 001: Boopathy et al., ICML 2020).

Interpreters return one map per requested class (``interpreters``); discrepancy measures
compare maps of a clean and a perturbed input (``discrepancy``); Kendall's τ compares their
rank order (``kendall``).
"""

from bench.interpretation.discrepancy import (
    authors_target_free_discrepancy,
    discrepancy,
    normalized_discrepancy,
    target_free_discrepancy,
)
from bench.interpretation.interpreters import INTERPRETERS, interpret, last_conv_layer
from bench.interpretation.kendall import kendall_tau

__all__ = [
    "INTERPRETERS",
    "authors_target_free_discrepancy",
    "discrepancy",
    "interpret",
    "kendall_tau",
    "last_conv_layer",
    "normalized_discrepancy",
    "target_free_discrepancy",
]
