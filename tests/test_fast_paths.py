"""Each fast path of the inequality battery against the slow obvious version, exactly (STYLE.md)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.attacks.noise import select, top_k_indices, top_k_masks
from bench.explanations.gini import gini


def _rows(seed: int, n: int = 257) -> torch.Tensor:
    """Rows with heavy ties, signed zeros, infinities and NaNs among ordinary values."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(6, n, generator=g)
    x[:, ::3] = 0.0
    x[:, 1::7] = -0.0
    x[:, 2::11] = torch.randint(-2, 3, (6, len(range(2, n, 11))), generator=g).float()
    x[0, 5], x[1, 9], x[2, 13], x[3, 17] = float("inf"), float("-inf"), float("nan"), -float("nan")
    return x


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("k", [1, 7, 100, 257])
def test_top_k_indices_is_the_stable_descending_sort(seed, k):
    x = _rows(seed)
    reference = x.sort(dim=1, descending=True, stable=True).indices[:, :k]
    assert torch.equal(top_k_indices(x, k), reference)


def test_top_k_masks_equal_one_mask_per_k():
    x = _rows(0).view(6, 1, 257)
    masks = top_k_masks(x, [3, 50, 200])
    for k, mask in masks.items():
        one = torch.zeros(6, 257, dtype=torch.bool)
        one.scatter_(1, x.flatten(1).sort(dim=1, descending=True, stable=True).indices[:, :k], True)
        assert torch.equal(mask, one.view_as(x)), k


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_select_is_torch_where_bit_for_bit(dtype):
    g = torch.Generator().manual_seed(1)
    a = _rows(1).to(dtype).view(6, 1, 257)
    b = torch.randn(6, 3, 257, generator=g, dtype=dtype)
    b[0, 0, 0] = -0.0
    mask = torch.rand(6, 3, 257, generator=g) > 0.5
    expected = torch.where(mask, a, b)
    got = select(mask, a, b)
    assert got.dtype == expected.dtype
    assert torch.equal(
        got.view(torch.int32 if dtype == torch.float32 else torch.int64),
        expected.view(torch.int32 if dtype == torch.float32 else torch.int64),
    )


def test_gini_equals_eq4_on_a_double_precision_torch_sort():
    """Eq. 4 on rows sorted by torch in float64 (the slow reference): sorting float32 values and
    then widening them gives the same numbers exactly."""
    g = torch.Generator().manual_seed(2)
    x = torch.rand(5, 300, generator=g)
    x[:, ::4] = 0.0
    phi = x.double().sort(dim=1).values
    n = phi.shape[1]
    weights = torch.arange(n, 0, -1, dtype=torch.float64)
    reference = (n + 1 - 2 * (phi * weights).sum(dim=1) / phi.sum(dim=1)) / n
    np.testing.assert_array_equal(gini(x).numpy(), reference.numpy())
