"""The inductive noise attack (paper 000, §3.2.1, eq. 5) and its random-pixel baseline.

Noise-I adds noise to the k most attributed sub-pixels, ``x' = x + M·σ``; Noise-II replaces
them, ``x' = (1 − M)·x + M·σ``; the baseline puts the same noise on k sub-pixels drawn at
random. The noise distribution (the text's N(0, 1) or the code's Uniform(min x, max x)), the
clamping and the ranking of sub-pixels (signed, as the code does, or absolute) are
parameters. Everything happens in one :class:`InputSpace`; masks and noise are built for the
whole batch at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch

from bench.explanations.attribution import seeded_normal
from bench.params.vocabulary import Clamp, Distribution


def top_k_indices(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Indices ``(B, k)`` of each row's ``k`` largest values, ties broken by the lower index.

    A stable sort rather than ``topk``: exactly tied attributions (zero on a black background)
    then select the same sub-pixels on every device.
    """
    flat = scores.flatten(1)
    if not 0 < k <= flat.shape[1]:
        raise ValueError(f"k = {k} must be in 1..{flat.shape[1]} (the number of sub-pixels)")
    return flat.sort(dim=1, descending=True, stable=True).indices[:, :k]


def top_k_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Boolean mask of each row's ``k`` largest scores, shaped like ``scores`` (B, …)."""
    mask = torch.zeros(scores.shape[0], scores[0].numel(), dtype=torch.bool, device=scores.device)
    mask.scatter_(1, top_k_indices(scores, k), True)
    return mask.view_as(scores)


def random_keys(shape: Sequence[int], seeds: Sequence[int], device=None) -> torch.Tensor:
    """One random key per sub-pixel, from each image's seed; the k largest keys are a uniform random k-set.

    Draw once and call :func:`top_k_mask` per k: the random sets are nested, as the top-k sets are.
    """
    return seeded_normal(shape[1:], seeds, torch.empty(0, device=device))


def random_k_mask(shape: Sequence[int], k: int, seeds: Sequence[int], device=None) -> torch.Tensor:
    """``k`` sub-pixels per image chosen uniformly at random, one seed per image."""
    return top_k_mask(random_keys(shape, seeds, device), k)


def draw_noise(
    z: torch.Tensor, distribution: Distribution, std: float, seeds: Sequence[int]
) -> torch.Tensor:
    """Noise shaped like ``z``: N(0, std²), or Uniform over each image's own [min, max]."""
    if distribution == "normal":
        return std * seeded_normal(z.shape[1:], seeds, z)
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    unit = torch.stack([torch.rand(tuple(z.shape[1:]), generator=g) for g in gens]).to(z)
    low, high = image_range(z)
    return low + unit * (high - low)


def image_range(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each image's minimum and maximum over all sub-pixels, shaped ``(B, 1, 1, 1)``."""
    flat = z.flatten(1)
    shape = (-1,) + (1,) * (z.dim() - 1)
    return flat.amin(1).view(shape), flat.amax(1).view(shape)


def corrupt(
    z: torch.Tensor, mask: torch.Tensor, noise: torch.Tensor, mode: Literal["add", "replace"]
) -> torch.Tensor:
    """Noise-I (``add``) or Noise-II (``replace``) on the masked sub-pixels."""
    return torch.where(mask, z + noise if mode == "add" else noise, z)


def clamp(
    z_corrupt: torch.Tensor,
    z_clean: torch.Tensor,
    how: Clamp,
    valid: tuple[torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    """``none``; ``image_range``: each clean image's [min, max] (the code); ``valid_pixels``: the [0, 1] box."""
    if how == "none":
        return z_corrupt
    low, high = image_range(z_clean) if how == "image_range" else valid
    return torch.maximum(torch.minimum(z_corrupt, high), low)
