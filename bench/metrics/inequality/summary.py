"""The inequality battery's values and detail from its per-batch records: pure functions, no files.

Gini-g and Gini-r are averaged over the measured images (paper 000, §3.1; per class as in A.7),
the noise and occlusion error rates over the correctly classified ones (§3.2). A sharded run
merges its shards' records through the same functions (:mod:`bench.executors.merge`).
"""

from __future__ import annotations

import numpy as np

from bench.metrics.inequality.batch import BatchRecord

OCCLUSION_FIELDS = ("success", "count", "radius", "area")


def _summary(values: np.ndarray, measured: np.ndarray) -> dict[str, float | int]:
    """Mean and spread over measured images; a measured image without a value had an all-zero map."""
    finite = values[np.isfinite(values)]
    return {
        "mean": float(finite.mean()) if len(finite) else float("nan"),
        "std": float(finite.std()) if len(finite) else float("nan"),
        "n": int(len(finite)),
        "n_zero_maps": int((measured & ~np.isfinite(values)).sum()),
    }


def _listed(values: np.ndarray) -> list[float | None]:
    """Per-image values for JSON: rounded, None where the image was not measured."""
    return [round(float(v), 5) if np.isfinite(v) else None for v in values]


def per_class(values: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Mean Gini per class (paper 000, A.7), over the images where it was measured."""
    ok = np.isfinite(values)
    return {
        str(c): round(float(values[ok & (labels == c)].mean()), 4) for c in np.unique(labels[ok])
    }


def gini_summary(records: list[BatchRecord], labels: np.ndarray, images: str) -> tuple[dict, dict]:
    """Mean Gini-g and Gini-r, and the detail: counts, spread, per class and per image.

    ``images``: ``correct`` (Gini measured on correctly classified images only) or ``all``.
    """
    correct = np.concatenate([r.correct for r in records])
    g_global = np.concatenate([r.gini_global for r in records])
    g_regional = np.concatenate([r.gini_regional for r in records])
    measured = correct.astype(bool) if images == "correct" else np.ones(len(correct), dtype=bool)
    summaries = {
        "gini_global": _summary(g_global, measured),
        "gini_regional": _summary(g_regional, measured),
    }
    values = {name: summary["mean"] for name, summary in summaries.items()}
    detail: dict = {
        "n_correct": int(correct.sum()),
        **summaries,
        "per_class": {
            "gini_global": per_class(g_global, labels),
            "gini_regional": per_class(g_regional, labels),
        },
        "per_image": {"gini_global": _listed(g_global), "gini_regional": _listed(g_regional)},
    }
    return values, detail


def noise_error_rates(records: list[BatchRecord]) -> dict[str, float]:
    """Per noise value: the share of correctly classified images whose prediction it changed."""
    values = {}
    for name in dict.fromkeys(k for r in records for k in r.noise):
        changed = np.concatenate([r.noise[name] for r in records if name in r.noise])
        values[name] = float(changed.mean()) if len(changed) else float("nan")
    return values


def occlusion_summary(records: list[BatchRecord]) -> tuple[dict[str, float], dict]:
    """Per occlusion value: the success rate (Algorithm 1) and the detail (mean area of the
    successes, and success, count, radius and area per image)."""
    values, detail = {}, {}
    for name in dict.fromkeys(k for r in records for k in r.occlusion):
        fields = {
            f: np.concatenate([r.occlusion[name][f] for r in records if name in r.occlusion])
            for f in OCCLUSION_FIELDS
        }
        values[name] = float(fields["success"].mean()) if len(fields["success"]) else float("nan")
        hit = fields["success"].astype(bool)
        detail[name] = {
            "mean_area_of_successes": float(fields["area"][hit].mean()) if hit.any() else None,
            "per_image": {f: v.astype(float).round(5).tolist() for f, v in fields.items()},
        }
    return values, detail


def summarize_records(
    records: list[BatchRecord], labels: np.ndarray, images: str
) -> tuple[dict[str, float], dict]:
    """The battery's values (Gini, then noise, then occlusion) and detail from its batch records."""
    values, detail = gini_summary(records, labels, images)
    values |= noise_error_rates(records)
    occlusion_values, occlusion_detail = occlusion_summary(records)
    values |= occlusion_values
    if occlusion_detail:
        detail["occlusion"] = occlusion_detail
    return values, detail
