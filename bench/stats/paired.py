"""Paired comparison of two models on the same images: difference of means, bootstrap interval, p-value.

A per-image quantity is a float array over the selected images, NaN where the model's metric does
not measure the image (Gini and occlusion only measure the images the model classifies
correctly). Each model's mean is over its own measured images, exactly as its metric value, so
the difference equals the difference of the two result values. Pairing: the bootstrap resamples
*images* (one index set for both models), and the permutation test swaps the two models' records
of an image with probability ½ (a sign flip of the per-image difference when every image is
measured by both). Pure numpy; no torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

CHUNK = 500  # resamples per vectorised block: CHUNK × n indices in memory at once


@dataclass(frozen=True)
class PairedComparison:
    """The difference mean(A) − mean(B) of one per-image quantity, with its 95% interval and p-value."""

    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    n_images: int
    n_measured_a: int
    n_measured_b: int
    n_resamples: int
    seed: int

    def as_dict(self) -> dict:
        """The comparison's fields as a plain dict (for JSON)."""
        return asdict(self)


def masked_mean_difference(
    a: np.ndarray, b: np.ndarray, counts: np.ndarray | None = None
) -> np.ndarray | float:
    """Σ_i c_i a_i / Σ_i c_i [a_i measured] − the same for b; NaN entries are unmeasured.

    ``counts`` (R, n): how often each image is drawn in each of R resamples; None: once each.
    """
    a0, b0 = np.nan_to_num(a, nan=0.0), np.nan_to_num(b, nan=0.0)
    ma, mb = np.isfinite(a).astype(float), np.isfinite(b).astype(float)
    if counts is None:
        return float(a0.sum() / ma.sum() - b0.sum() / mb.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts @ a0 / (counts @ ma) - counts @ b0 / (counts @ mb)


def bootstrap_differences(
    a: np.ndarray, b: np.ndarray, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """The difference of means on ``n_resamples`` paired resamples of the images (drawn with replacement)."""
    n, out = len(a), []
    for start in range(0, n_resamples, CHUNK):
        draws = rng.integers(0, n, size=(min(CHUNK, n_resamples - start), n))
        offsets = (np.arange(len(draws))[:, None] * n + draws).ravel()
        counts = np.bincount(offsets, minlength=len(draws) * n).reshape(len(draws), n).astype(float)
        out.append(masked_mean_difference(a, b, counts))
    return np.concatenate(out)


def swapped_differences(
    a: np.ndarray, b: np.ndarray, n_permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """The difference of means after swapping A's and B's record of each image with probability ½.

    With S the (R, n) swap indicator, A's swapped sum is Σa + S·(b − a) and B's is Σb − S·(b − a)
    (likewise the measured counts), so no per-permutation copy is made.
    """
    a0, b0 = np.nan_to_num(a, nan=0.0), np.nan_to_num(b, nan=0.0)
    ma, mb = np.isfinite(a).astype(float), np.isfinite(b).astype(float)
    out = []
    for start in range(0, n_permutations, CHUNK):
        swap = (rng.random((min(CHUNK, n_permutations - start), len(a))) < 0.5).astype(float)
        moved, moved_count = swap @ (b0 - a0), swap @ (mb - ma)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(
                (a0.sum() + moved) / (ma.sum() + moved_count)
                - (b0.sum() - moved) / (mb.sum() - moved_count)
            )
    return np.concatenate(out)


def permutation_p_value(observed: float, null: np.ndarray) -> float:
    """Two-sided Monte-Carlo p-value (1 + #{|T*| ≥ |T|}) / (1 + R), with a float tolerance on ties."""
    tol = 1e-12 * max(1.0, abs(observed))
    return float((1 + np.sum(np.abs(null) >= abs(observed) - tol)) / (1 + len(null)))


def compare_paired(
    a: np.ndarray, b: np.ndarray, n_resamples: int = 10_000, seed: int = 0, confidence: float = 0.95
) -> PairedComparison:
    """Difference of means of A and B on the same images, percentile bootstrap interval, permutation p-value.

    ``a``/``b``: per-image values over the same images in the same order, NaN where unmeasured.
    The bootstrap and the permutations draw from one ``numpy`` generator seeded by ``seed``.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"per-image arrays must be 1-d of one length; got {a.shape} and {b.shape}")
    if not (np.isfinite(a).any() and np.isfinite(b).any()):
        raise ValueError("a model measures none of the images")
    rng = np.random.default_rng(seed)
    observed = masked_mean_difference(a, b)
    boot = bootstrap_differences(a, b, n_resamples, rng)
    tail = 100 * (1 - confidence) / 2
    low, high = np.nanpercentile(boot, [tail, 100 - tail])
    p = permutation_p_value(observed, swapped_differences(a, b, n_resamples, rng))
    return PairedComparison(
        float(np.nanmean(a)),
        float(np.nanmean(b)),
        observed,
        float(low),
        float(high),
        p,
        len(a),
        int(np.isfinite(a).sum()),
        int(np.isfinite(b).sum()),
        n_resamples,
        seed,
    )
