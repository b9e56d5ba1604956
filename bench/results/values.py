"""Values with identity: every number a result reports, as a record with its interval.

A :class:`Value` says which metric produced it, what quantity it is and the parameters that
identify it (ε, steps, k, budget, colour, attack variant, ...), its unit, its direction, the
number of images it was computed on, and a 95% confidence interval:

- a share of images (accuracy, error or success rate) gets the exact Clopper–Pearson interval
  of a binomial proportion (``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``);
- a mean of per-image scores (Gini, Kendall τ, discrepancies) gets a seeded percentile
  bootstrap over images (``scipy.stats.bootstrap``, 2000 resamples).

``name`` is the value's key inside its result (e.g. ``pgd200_acc@8/255``): an identifier for
lookups and display, never parsed back — the identity is in ``metric``, ``quantity`` and ``params``.
This module is torch-free: the leaderboard reads values without importing torch.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from bench.spec import Strict

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
Scalar = int | float | str | bool


class Value(Strict):
    """One reported number with its identity, direction and 95% interval."""

    name: str = Field(description="the value's key in its result; an identifier, never parsed")
    metric: str = Field(description="the protocol metric that produced it")
    quantity: str = Field(
        description="what is measured: accuracy, gini_global, error_rate, tau, ..."
    )
    params: dict[str, Scalar] = Field(
        default_factory=dict, description="what identifies it: eps, steps, k, ..."
    )
    unit: Literal["share", "score"] = Field(
        description="share: a proportion of images in [0, 1], shown ×100"
    )
    higher_is_better: bool
    n: int = Field(ge=0, description="images the value was computed on")
    value: float | None = Field(
        description="None: nothing to measure (e.g. no correctly classified image)"
    )
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: Literal["clopper-pearson", "bootstrap", "none"] = "none"

    def matches(
        self, metric: str | None = None, quantity: str | None = None, **params: Scalar
    ) -> bool:
        """Whether this value has the given metric, quantity and parameter values."""
        return (
            (metric is None or self.metric == metric)
            and (quantity is None or self.quantity == quantity)
            and all(_same(self.params.get(k), v) for k, v in params.items())
        )


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (
            a is not None
            and b is not None
            and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        )
    return a == b


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def proportion_interval(successes: int, n: int) -> tuple[float | None, float | None]:
    """Exact (Clopper–Pearson) 95% interval of a binomial proportion ``successes / n``."""
    if n <= 0:
        return None, None
    from scipy.stats import binomtest

    ci = binomtest(int(successes), int(n)).proportion_ci(
        confidence_level=CONFIDENCE, method="exact"
    )
    return float(ci.low), float(ci.high)


def bootstrap_interval(samples, seed: int = BOOTSTRAP_SEED) -> tuple[float | None, float | None]:
    """Seeded percentile-bootstrap 95% interval of the mean of ``samples`` (NaN entries dropped)."""
    x = np.asarray([s for s in samples if s is not None], dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return None, None
    if np.all(x == x[0]):
        return float(x[0]), float(x[0])
    from scipy.stats import bootstrap

    res = bootstrap(
        (x,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        random_state=np.random.default_rng(seed),
        vectorized=True,
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def share(
    name: str,
    metric: str,
    quantity: str,
    flags=None,
    *,
    higher_is_better: bool,
    value: float | None = None,
    n: int | None = None,
    **params: Scalar,
) -> Value:
    """A share of images: from per-image 0/1 ``flags``, or from a recorded ``value`` over ``n`` images."""
    if flags is not None:
        f = np.asarray(flags, dtype=float)
        n, value = len(f), (float(f.mean()) if len(f) else None)
    n = int(n or 0)
    value = _finite(value)
    low, high = (
        proportion_interval(round(value * n), n) if value is not None and n else (None, None)
    )
    return Value(
        name=name,
        metric=metric,
        quantity=quantity,
        params=params,
        unit="share",
        higher_is_better=higher_is_better,
        n=n,
        value=value,
        ci_low=low,
        ci_high=high,
        ci_method="clopper-pearson" if low is not None else "none",
    )


def mean(
    name: str,
    metric: str,
    quantity: str,
    samples,
    *,
    higher_is_better: bool,
    value: float | None = None,
    **params: Scalar,
) -> Value:
    """A mean of per-image ``samples`` (None/NaN: not measured), with its bootstrap interval.

    ``value``: the mean the metric recorded (full precision) when ``samples`` are rounded copies.
    """
    x = np.asarray([np.nan if s is None else s for s in samples], dtype=float)
    x = x[np.isfinite(x)]
    if value is None:
        value = float(x.mean()) if len(x) else None
    low, high = bootstrap_interval(x)
    return Value(
        name=name,
        metric=metric,
        quantity=quantity,
        params=params,
        unit="score",
        higher_is_better=higher_is_better,
        n=int(len(x)),
        value=_finite(value),
        ci_low=low,
        ci_high=high,
        ci_method="bootstrap" if low is not None else "none",
    )
