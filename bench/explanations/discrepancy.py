"""Interpretation discrepancy measures (paper 001: eq. 3, 4, 7, its authors' training form, appendix B's NDS).

Pure functions of maps: ``clean`` and ``perturbed`` are ``(B, K, …)`` maps of the same K
classes for x and x'.
"""

from __future__ import annotations

import torch


def discrepancy(clean: torch.Tensor, perturbed: torch.Tensor, p: int = 1) -> torch.Tensor:
    """Eq. (3): ``(1/|C|) Σ_{i∈C} ‖I(x, i) − I(x', i)‖_p`` over the K classes given, per image (B,).

    With the classes {y, y'} and p = 1 this is the ℓ1 2-class measure of eq. (4).
    """
    return (clean - perturbed).flatten(2).norm(p=p, dim=2).mean(dim=1)


def normalized_discrepancy(
    clean: torch.Tensor, perturbed: torch.Tensor, p: int = 1
) -> torch.Tensor:
    """NDS (appendix B): each class's difference divided by the range of its clean map, then eq. (3)."""
    flat = clean.flatten(2)
    span = (flat.amax(dim=2) - flat.amin(dim=2)).clamp_min(torch.finfo(clean.dtype).tiny)
    return ((flat - perturbed.flatten(2)).norm(p=p, dim=2) / span).mean(dim=1)


def target_free_discrepancy(
    clean_all: torch.Tensor,
    perturbed_all: torch.Tensor,
    labels: torch.Tensor,
    perturbed_logits: torch.Tensor,
) -> torch.Tensor:
    """Eq. (7): ½‖I(x,y) − I(x',y)‖₁ + ½ Σ_{i≠y} softmax(f(x'))_i ‖I(x,i) − I(x',i)‖₁, per image.

    ``clean_all``/``perturbed_all`` hold the maps of **all** classes (B, C, …).
    """
    per_class = (clean_all - perturbed_all).flatten(2).abs().sum(dim=2)  # (B, C)
    weights = perturbed_logits.softmax(dim=1).scatter(1, labels[:, None], 0.0)
    true = per_class.gather(1, labels[:, None])[:, 0]
    return 0.5 * true + 0.5 * (weights * per_class).sum(dim=1)


def authors_target_free_discrepancy(
    clean_all: torch.Tensor,
    perturbed_all: torch.Tensor,
    labels: torch.Tensor,
    perturbed_logits: torch.Tensor,
) -> torch.Tensor:
    """Eq. (7) as the authors' ``train.py`` trains it: ‖I(x,y) − I(x',y)‖₁ + Σ_{i≠y} w_i ‖I(x,i) − I(x',i)‖₁.

    ``w`` is softmax(f(x')) with the true class zeroed and renormalised over the other classes
    (``softmax_adv / reduce_sum(softmax_adv)``, gradient flowing through it); no ½ factors.
    The maps are used as given: the authors pass the raw ``conv2d(features, W)`` CAM. The
    renormalised weights equal a softmax over the logits with the true class masked out, which is
    how they are computed here (no 0/0 when the true class takes all the mass in float32).
    """
    per_class = (clean_all - perturbed_all).flatten(2).abs().sum(dim=2)  # (B, C)
    true_class = torch.zeros_like(perturbed_logits, dtype=torch.bool).scatter(
        1, labels[:, None], True
    )
    weights = perturbed_logits.masked_fill(true_class, float("-inf")).softmax(dim=1)
    true = per_class.gather(1, labels[:, None])[:, 0]
    return true + (weights * per_class).sum(dim=1)
