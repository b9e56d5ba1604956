"""Appendix B of paper 001: each image's minimal ε*, and the ISA's NDS and normalised slope (NSL)
from ε* to ε̂ = ratio · ε*.

ε* is the smallest L∞ budget at which PGD fools the image (bisection up to ``eps_max``). Per
measure (a discrepancy of eq. 3), the ISA runs at ε* and at ε̂; NSL = (|NDS(ε̂) − NDS(ε*)| /
NDS(ε*)) / ((ε̂ − ε*) / ε*). An image counts for a measure when PGD fooled it within
``eps_max`` and the ISA succeeded at both budgets.
"""

from __future__ import annotations

import numpy as np
import torch

from bench.metrics.isa_batch import sneak_batch
from bench.params.isa import NSLParams, SneakingParams
from bench.stats.means import mean_or_nan


def normalized_slope(low: np.ndarray, high: np.ndarray, ratio: float) -> np.ndarray:
    """NSL per image from NDS at ε* (``low``) and at ratio · ε* (``high``); Appendix B."""
    return np.abs(high - low) / np.maximum(low, np.finfo(float).tiny) / (ratio - 1)


def eps_star(model, x: torch.Tensor, y: torch.Tensor, nsl: NSLParams) -> torch.Tensor:
    """Each image's minimal ε* of PGD within ``eps_max`` (NaN where PGD does not fool it)."""
    from bench.attacks import minimal_eps

    return minimal_eps(
        model,
        x,
        y,
        nsl.eps_max,
        nsl.pgd_steps,
        step_size=nsl.pgd_step_size,
        step_size_rel=nsl.pgd_step_size_rel,
        search_steps=nsl.search_steps,
    )


def _sneak_where(model, params, interpreter, measure: str, x, y, target, budget, reach):
    """ISA success and NDS per image at its own ``budget`` for ``measure``; False / NaN off ``reach``."""
    p, classes = int(measure[1]), measure.split("-")[1]
    ok, nds = np.zeros(len(x), dtype=bool), np.full(len(x), np.nan)
    if reach.any():
        sub_ok, _, sub_nds = sneak_batch(
            model, params, interpreter, classes, p, x[reach], y[reach], target[reach], budget[reach]
        )
        ok[reach.cpu().numpy()], nds[reach.cpu().numpy()] = sub_ok, sub_nds
    return ok, nds


def batch_slopes(model, params: SneakingParams, interpreter, x, y, target) -> dict[str, np.ndarray]:
    """ε* per image, then per measure the ISA's success and NDS at ε* and at ratio · ε*."""
    nsl = params.nsl
    star = eps_star(model, x, y, nsl)
    out = {"eps_star": star.cpu().numpy()}
    reach = ~torch.isnan(star)
    for measure in nsl.measures:
        for tag, budget in (("low", star), ("high", nsl.ratio * star)):
            out[f"{measure}:{tag}_ok"], out[f"{measure}:{tag}_nds"] = _sneak_where(
                model, params, interpreter, measure, x, y, target, budget, reach
            )
    return out


def summarize_slopes(
    parts: list[dict[str, np.ndarray]], nsl: NSLParams
) -> tuple[dict[str, float], dict]:
    """Appendix B: NDS at ε* and NSL = (|NDS(ε̂) − NDS(ε*)| / NDS(ε*)) / ((ε̂ − ε*) / ε*), averaged over images.

    Images count for a measure when PGD fooled them within ``eps_max`` and the ISA succeeded at both budgets.
    """

    def joined(key):
        return np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)

    star = joined("eps_star")
    reach = ~np.isnan(star)
    values = {
        "pgd_fooled@eps_max": mean_or_nan(reach.astype(float)),
        "eps_star_mean": mean_or_nan(star[reach]),
    }
    detail = {
        "ratio": nsl.ratio,
        "eps_star": [None if np.isnan(e) else round(float(e), 6) for e in star],
        "per_measure": {},
    }
    for measure in nsl.measures:
        both = joined(f"{measure}:low_ok") & joined(f"{measure}:high_ok")
        low, high = joined(f"{measure}:low_nds")[both], joined(f"{measure}:high_nds")[both]
        slope = normalized_slope(low, high, nsl.ratio)
        values |= {
            f"isa_nds@eps*[{measure}]": mean_or_nan(low),
            f"isa_nsl[{measure}]": mean_or_nan(slope),
        }
        detail["per_measure"][measure] = {
            "n_fooled_by_pgd": int(reach.sum()),
            "n_both_successful": int(both.sum()),
            "nds_low": np.round(low, 5).tolist(),
            "nds_high": np.round(high, 5).tolist(),
        }
    return values, detail


def nsl_records(values: dict, detail: dict, nsl: NSLParams, metric: str) -> list:
    """Appendix B's values as records: PGD's reach within eps_max, mean ε*, and NDS(ε*) and NSL per measure."""
    from bench.results.values import mean, share

    stars = detail["eps_star"]
    out = [
        share(
            "pgd_fooled@eps_max",
            metric,
            "pgd_fooled",
            [e is not None for e in stars],
            higher_is_better=False,
            eps_max=nsl.eps_max,
        ),
        mean(
            "eps_star_mean",
            metric,
            "eps_star",
            stars,
            higher_is_better=True,
            value=values["eps_star_mean"],
            eps_max=nsl.eps_max,
        ),
    ]
    for measure in nsl.measures:
        out += _measure_records(values, detail["per_measure"][measure], nsl, measure, metric)
    return out


def _measure_records(values: dict, part: dict, nsl: NSLParams, measure: str, metric: str) -> list:
    """NDS at ε* and NSL of one measure as records (bootstrap over the images both ISAs fooled)."""
    from bench.results.values import mean

    low = np.asarray(part["nds_low"], dtype=float)
    high = np.asarray(part["nds_high"], dtype=float)
    return [
        mean(
            f"isa_nds@eps*[{measure}]",
            metric,
            "nds_at_eps_star",
            low,
            higher_is_better=True,
            value=values[f"isa_nds@eps*[{measure}]"],
            measure=measure,
        ),
        mean(
            f"isa_nsl[{measure}]",
            metric,
            "nsl",
            normalized_slope(low, high, nsl.ratio),
            higher_is_better=True,
            value=values[f"isa_nsl[{measure}]"],
            measure=measure,
            ratio=nsl.ratio,
        ),
    ]
