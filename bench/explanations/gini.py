"""The Gini index of attribution maps: global and regional inequality (paper 000, §3.1, eq. 4).

Pure functions on batches. The transform applied before Gini is explicit because the paper's
text (absolute value) and its authors' code (positive part) differ; see docs/inequality.md.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from bench.params.vocabulary import Transform


def gini(values: torch.Tensor) -> torch.Tensor:
    """Gini index (eq. 4) of each row of a ``(B, n)`` tensor of non-negative values.

    ``Gini(Φ) = (n + 1 − 2 Σ_i (n + 1 − i) φ_i / Σ_i φ_i) / n`` with φ sorted ascending.
    A row that sums to zero has no distribution to measure: NaN.
    """
    if values.dim() != 2:
        raise ValueError(f"gini expects a (B, n) tensor, got shape {tuple(values.shape)}")
    if bool((values < 0).any()):
        raise ValueError(
            "gini needs non-negative values; apply a transform (abs or positive part) first"
        )
    phi = _sorted_rows(values).double()  # sorting then widening: the same values, exactly
    n = phi.shape[1]
    weights = torch.arange(n, 0, -1, dtype=phi.dtype, device=phi.device)  # n + 1 − i for i = 1..n
    total = phi.sum(dim=1)
    index = (n + 1 - 2 * (phi * weights).sum(dim=1) / total) / n
    return torch.where(total > 0, index, torch.full_like(index, float("nan")))


def _sorted_rows(values: torch.Tensor) -> torch.Tensor:
    """Each row sorted ascending; numpy's vectorised sort on CPU floats (values only, so ties do not matter)."""
    if values.device.type == "cpu" and values.dtype in (torch.float32, torch.float64):
        return torch.from_numpy(np.sort(values.detach().numpy(), axis=1))
    return values.sort(dim=1).values


def transform_map(attribution: torch.Tensor, transform: Transform) -> torch.Tensor:
    """``abs`` (the text: "sorted absolute value") or ``positive`` (the code: ``max(a, 0)``)."""
    if transform == "abs":
        return attribution.abs()
    if transform == "positive":
        return attribution.clamp(min=0)
    raise ValueError(f"unknown transform {transform!r}")


def gini_global(attribution: torch.Tensor, transform: Transform) -> torch.Tensor:
    """Global inequality ``Gini_g``: Gini of all C×H×W transformed values of each map."""
    return gini(transform_map(attribution, transform).flatten(1))


def region_sums(values: torch.Tensor, size: int, sum_channels: bool) -> torch.Tensor:
    """Sums over ``size``×``size`` blocks (partial blocks at the border), per channel or over all channels.

    ``(B, C, H, W)`` → ``(B, C or 1, ⌈H/size⌉, ⌈W/size⌉)``.
    """
    sums = F.avg_pool2d(values, size, stride=size, ceil_mode=True, divisor_override=1)
    return sums.sum(dim=1, keepdim=True) if sum_channels else sums


def gini_regional(
    attribution: torch.Tensor, transform: Transform, size: int, sum_channels: bool
) -> torch.Tensor:
    """Regional inequality ``Gini_r``: Gini of the block sums of the transformed map.

    ``size=1, sum_channels=False`` reproduces the authors' first code version, whose shape bug
    formed no blocks (it equals :func:`gini_global` with the positive part).
    """
    return gini(region_sums(transform_map(attribution, transform), size, sum_channels).flatten(1))
