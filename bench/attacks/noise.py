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

import numpy as np
import torch

from bench.explanations.attribution import seeded_normal
from bench.params.vocabulary import Clamp, Distribution


def _order_keys(flat: torch.Tensor) -> torch.Tensor:
    """Distinct int64 keys of ``(B, n)`` float32 rows: ascending keys = values descending, ties by the lower index.

    The value's bits, made monotone, in the high half and the index in the low half; -0.0 is
    made +0.0 and every NaN one NaN above +inf, so the order is exactly a stable descending sort.
    """
    canon = torch.where(flat.isnan(), float("nan"), flat + 0.0)
    bits = canon.view(torch.int32)
    ordered = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits)
    index = torch.arange(flat.shape[1], device=flat.device)
    return ((~ordered).long() << 32) | index


def top_k_indices(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Indices ``(B, k)`` of each row's ``k`` largest values, best first, ties broken by the lower index.

    Exactly a stable descending sort's first k, rather than ``topk``: exactly tied attributions
    (zero on a black background) then select the same sub-pixels on every device. For float32
    the rows' keys are distinct (:func:`_order_keys`), so any partial sort gives that order.
    """
    flat = scores.detach().flatten(1)
    if not 0 < k <= flat.shape[1]:
        raise ValueError(f"k = {k} must be in 1..{flat.shape[1]} (the number of sub-pixels)")
    if flat.dtype != torch.float32:
        return flat.sort(dim=1, descending=True, stable=True).indices[:, :k]
    keys = _order_keys(flat)
    if keys.device.type == "cpu":
        top = torch.from_numpy(np.sort(np.partition(keys.numpy(), k - 1, axis=1)[:, :k], axis=1))
    else:
        top = keys.topk(k, dim=1, largest=False).values
    return top & 0xFFFFFFFF


def top_k_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Boolean mask of each row's ``k`` largest scores, shaped like ``scores`` (B, …)."""
    return top_k_masks(scores, [k])[k]


def top_k_masks(scores: torch.Tensor, ks: Sequence[int]) -> dict[int, torch.Tensor]:
    """:func:`top_k_mask` for every k in ``ks`` from one ranking (the top-k sets are nested)."""
    order = top_k_indices(scores, max(ks))
    masks = {}
    for k in ks:
        mask = torch.zeros(
            scores.shape[0], scores[0].numel(), dtype=torch.bool, device=order.device
        )
        masks[k] = mask.scatter_(1, order[:, :k], True).view_as(scores)
    return masks


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


_BITS = {torch.float32: torch.int32, torch.float64: torch.int64}


def select(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``torch.where(mask, a, b)`` bit for bit, broadcasting alike.

    For float32/float64 it picks the bits with integer operations, several times faster than
    ``torch.where`` on CPU; anything else (or anything needing gradients) goes to ``torch.where``.
    """
    bits = _BITS.get(a.dtype)
    if bits is None or b.dtype != a.dtype or a.requires_grad or b.requires_grad:
        return torch.where(mask, a, b)
    ia, ib = a.view(bits), b.view(bits)
    return (ib ^ ((ib ^ ia) & -mask.to(bits))).view(a.dtype)


def corrupt(
    z: torch.Tensor, mask: torch.Tensor, noise: torch.Tensor, mode: Literal["add", "replace"]
) -> torch.Tensor:
    """Noise-I (``add``) or Noise-II (``replace``) on the masked sub-pixels."""
    return select(mask, z + noise if mode == "add" else noise, z)


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
