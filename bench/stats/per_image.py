"""Per-image values of a result's metric, read from ``result.details`` (NaN where the metric skips an image).

Each source reads one metric's per-image records: the inequality battery's Gini (NaN for the
images it does not measure) and occlusion success (recorded for correctly classified images
only, placed back at their positions), the robust flags of ``pgd_grid`` and AutoAttack, the
interpretation metric's per-image Kendall τ (NaN where the attack changed the label), and clean
accuracy (predictions against the labels, which a result does not store and the caller passes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from bench.errors import BenchError

Source = Callable[[Mapping, str, "np.ndarray | None"], "np.ndarray | None"]


def _floats(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _gini(details: Mapping, value: str, labels) -> np.ndarray | None:
    per_image = details.get("inequality", {}).get("per_image", {})
    return _floats(per_image[value]) if value in per_image else None


def _occlusion(details: Mapping, value: str, labels) -> np.ndarray | None:
    """Occlusion success (1/0) at the measured images, in order; needs Gini measured on exactly those."""
    inequality = details.get("inequality", {})
    record = inequality.get("occlusion", {}).get(value)
    if record is None:
        return None
    success = np.asarray(record["per_image"]["success"], dtype=float)
    measured = np.isfinite(_floats(inequality["per_image"]["gini_global"]))
    if measured.sum() != len(success) or inequality.get("n_correct", len(success)) != len(success):
        raise BenchError(
            f"Cannot place the {len(success)} per-image records of {value!r}: "
            f"{int(measured.sum())} images have a Gini, {inequality.get('n_correct')} are correct."
        )
    out = np.full(len(measured), np.nan)
    out[measured] = success
    return out


def _pgd_flags(details: Mapping, value: str, labels) -> np.ndarray | None:
    flags = details.get("pgd_grid", {}).get("robust_flags", {})
    return np.asarray(flags[value], dtype=float) if value in flags else None


def _autoattack_flags(details: Mapping, value: str, labels) -> np.ndarray | None:
    record = details.get("autoattack")
    if record is None or not value.startswith("autoattack_acc"):
        return None
    return np.asarray(record["robust_flags"], dtype=float)


def _tau(details: Mapping, value: str, labels) -> np.ndarray | None:
    taus = details.get("interpretation", {}).get("per_image_tau", {})
    return _floats(taus[value]) if value in taus else None


def _clean(details: Mapping, value: str, labels) -> np.ndarray | None:
    if value != "clean_accuracy" or "clean_accuracy" not in details:
        return None
    if labels is None:
        raise BenchError(
            "clean_accuracy per image needs the test labels, which result files do not store."
        )
    predictions = np.asarray(details["clean_accuracy"]["predictions"])
    return (predictions == np.asarray(labels)).astype(float)


PER_IMAGE_SOURCES: dict[str, Source] = {
    "inequality gini": _gini,
    "inequality occlusion": _occlusion,
    "pgd_grid robust flags": _pgd_flags,
    "autoattack robust flags": _autoattack_flags,
    "interpretation tau": _tau,
    "clean accuracy": _clean,
}


def per_image_values(details: Mapping, value: str, labels: np.ndarray | None = None) -> np.ndarray:
    """The per-image array of metric value ``value`` (a result's ``metrics`` key) from ``details``."""
    for source in PER_IMAGE_SOURCES.values():
        found = source(details, value, labels)
        if found is not None:
            return found
    raise BenchError(
        f"No per-image records for {value!r} in this result (per-image values exist for Gini, "
        "occlusion, pgd_grid and AutoAttack flags, interpretation τ and clean accuracy)."
    )
