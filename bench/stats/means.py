"""Means of per-image values that may be empty or undefined: NaN then, never a warning or an error."""

from __future__ import annotations

import numpy as np


def mean_or_nan(values: np.ndarray) -> float:
    """The mean of ``values``, NaN when there are none."""
    return float(values.mean()) if len(values) else float("nan")


def finite_mean_or_nan(values: np.ndarray) -> float:
    """The mean of the defined (non-NaN) ``values``, NaN when none is finite."""
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
