"""Kendall's rank correlation τ between interpretation maps, batched (paper 001, §5.2)."""

from __future__ import annotations

import torch


def kendall_tau(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """τ-b of each pair of rows of ``a`` and ``b`` (B, n) — what ``scipy.stats.kendalltau`` computes.

    τ_b = (concordant − discordant) / sqrt((n0 − n1)(n0 − n2)), counting all n(n−1)/2 pairs
    (n1, n2: pairs tied in a, in b). O(n²) per row: maps are small (CAM 8×8 on CIFAR-10).
    """
    a, b = a.flatten(1).double(), b.flatten(1).double()
    i, j = torch.triu_indices(a.shape[1], a.shape[1], offset=1, device=a.device)
    da, db = torch.sign(a[:, i] - a[:, j]), torch.sign(b[:, i] - b[:, j])
    n0 = float(len(i))
    ties_a, ties_b = (da == 0).sum(1).double(), (db == 0).sum(1).double()
    score = (da * db).sum(1)
    return score / torch.sqrt((n0 - ties_a) * (n0 - ties_b))
