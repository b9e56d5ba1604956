"""Which test images a run uses: explicit, seeded, and recorded as sample ids in every result.

Strategies: the first n; n drawn at random with a seed; and, on top of either, only images
that the evaluated model — or every model of a named group, as paper 000 does — classifies
correctly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from bench.errors import SpecError
from bench.params.selection import Selection

Predict = Callable[[torch.Tensor], torch.Tensor]  # [0,1] images → predicted labels


def candidate_order(size: int, selection: Selection) -> np.ndarray:
    """All indices in the order they are considered: 0..size-1, or a seeded permutation."""
    if selection.strategy == "first":
        return np.arange(size)
    return np.random.default_rng(selection.seed).permutation(size)


def select_samples(
    testset, selection: Selection, predictors: Sequence[Predict] = (), batch_size: int = 256
) -> np.ndarray:
    """Indices into ``testset`` chosen by ``selection``.

    With ``only_correct``, candidates are scanned in order, a batch at a time, and kept
    when every predictor gets them right, until ``n`` are found.
    """
    order = candidate_order(len(testset), selection)
    n = len(order) if selection.n is None else selection.n
    if n > len(order):
        raise SpecError(f"Asked for {n} images but {testset.name} has {len(order)} here.")
    if not selection.only_correct:
        return order[:n]
    kept: list[np.ndarray] = []
    found = 0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        x, y = testset.load(batch)
        ok = torch.ones(len(batch), dtype=torch.bool)
        for predict in predictors:
            ok &= predict(x).cpu() == y
        kept.append(batch[ok.numpy()])
        found += int(ok.sum())
        if found >= n:
            break
    chosen = np.concatenate(kept)[:n] if kept else np.array([], dtype=np.int64)
    if len(chosen) < n:
        raise SpecError(
            f"Only {len(chosen)} images of {testset.name} are classified correctly by the "
            f"selection's models; asked for {n}."
        )
    return chosen
