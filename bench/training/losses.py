"""Training losses of each recipe method (paper 001, eq. 7–10; Madry et al.; TRADES; Cutout).

Every inner maximisation is the same signed-gradient ascent (:func:`maximize`) on a
different objective, from a seeded random start, within the ℓ∞ ball and [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from bench.interpretation.discrepancy import authors_target_free_discrepancy, target_free_discrepancy
from bench.training.recipe import Recipe, RegularizerForm


def maximize(objective: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float, steps: int,
             step_size: float, random_start: bool, generator: torch.Generator) -> torch.Tensor:
    """ℓ∞ PGD ascent on ``objective(x') -> (B,)``; the last iterate, detached."""
    if eps == 0:
        return x.detach()
    start = (torch.rand(x.shape, generator=generator) * 2 - 1).to(x) * eps if random_start else torch.zeros_like(x)
    x_adv = (x + start).clamp(0, 1).detach()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        (grad,) = torch.autograd.grad(objective(x_adv).sum(), x_adv)
        with torch.no_grad():
            x_adv = (x + (x_adv + step_size * grad.sign() - x).clamp(-eps, eps)).clamp(0, 1)
    return x_adv.detach()


def all_class_cams(model, x: torch.Tensor, form: RegularizerForm = "authors") -> torch.Tensor:
    """CAM of every class, (B, C, h, w): raw ``conv2d(features, W)`` (``authors``) or scaled as eq. (1) (``bench_v1``).

    Eq. (1)'s scaling divides the raw map by h·w so that each map sums to its logit.
    """
    return scaled_cams(model.cam(x), form)


def scaled_cams(raw: torch.Tensor, form: RegularizerForm) -> torch.Tensor:
    """The raw CAMs as the regulariser of ``form`` uses them (see :func:`all_class_cams`)."""
    return raw if form == "authors" else raw / (raw.shape[-2] * raw.shape[-1])


def interpretation_discrepancy(model, x: torch.Tensor, x_other: torch.Tensor, y: torch.Tensor,
                               one_class: bool = False, form: RegularizerForm = "authors") -> torch.Tensor:
    """Eq. (7), the target-free ℓ1 2-class CAM discrepancy, per image; ``one_class``: ‖I(x,y) − I(x′,y)‖₁ only.

    ``authors``: :func:`authors_target_free_discrepancy` on raw CAMs (the authors' ``train_int``);
    ``bench_v1``: :func:`target_free_discrepancy` (½ factors, weights not renormalised) on eq. (1) CAMs.
    The class weights come from the logits of x′ (the spatial mean of its raw CAM) in both forms.
    """
    raw_other = model.cam(x_other)
    clean, other = all_class_cams(model, x, form), scaled_cams(raw_other, form)
    if one_class:
        pick = y[:, None, None, None].expand(-1, 1, *clean.shape[2:])
        return (clean.gather(1, pick) - other.gather(1, pick)).abs().flatten(1).sum(1)
    measure = authors_target_free_discrepancy if form == "authors" else target_free_discrepancy
    return measure(clean, other, y, raw_other.mean(dim=(2, 3)))


def cutout(x: torch.Tensor, size_rel: float, generator: torch.Generator) -> torch.Tensor:
    """Cutout (DeVries & Taylor): one square hole per image, centre uniform over the image, clipped at the border."""
    height, width = x.shape[-2:]
    side = max(1, round(size_rel * min(height, width)))
    cy = torch.randint(height, (len(x),), generator=generator).to(x.device)
    cx = torch.randint(width, (len(x),), generator=generator).to(x.device)
    rows, cols = torch.arange(height, device=x.device), torch.arange(width, device=x.device)
    in_rows = (rows[None] >= (cy - side // 2)[:, None]) & (rows[None] < (cy - side // 2 + side)[:, None])
    in_cols = (cols[None] >= (cx - side // 2)[:, None]) & (cols[None] < (cx - side // 2 + side)[:, None])
    hole = (in_rows[:, :, None] & in_cols[:, None, :])[:, None]
    return x.masked_fill(hole, 0.0)


def training_loss(model, x: torch.Tensor, y: torch.Tensor, recipe: Recipe, eps: float,
                  generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
    """The recipe's loss on one batch at the current ε, and what the progress bar shows."""
    a = recipe.attack
    step_size = a.step_at(eps)
    ce = lambda inputs: F.cross_entropy(model(inputs), y, reduction="none")  # noqa: E731
    method = recipe.method
    if method == "cutout_pgd_at":
        x = cutout(x, recipe.cutout_size_rel, generator)
    if method == "standard":
        return ce(x).mean(), {}
    if method in ("pgd_at", "cutout_pgd_at"):
        return ce(maximize(ce, x, eps, a.steps, step_size, a.random_start, generator)).mean(), {}
    if method == "trades":
        clean_log_probs = F.log_softmax(model(x), dim=1)
        kl = lambda inputs: F.kl_div(F.log_softmax(model(inputs), dim=1), clean_log_probs.detach(),  # noqa: E731
                                     reduction="none", log_target=True).sum(1)
        x_adv = maximize(kl, x, eps, a.steps, step_size, a.random_start, generator)
        robust = F.kl_div(F.log_softmax(model(x_adv), dim=1), clean_log_probs, reduction="none", log_target=True).sum(1)
        return F.nll_loss(clean_log_probs, y) + recipe.trades_beta * robust.mean(), {"kl": float(robust.mean())}
    one_class, form = method == "int_one", recipe.regularizer_form
    disc_at = lambda inputs: interpretation_discrepancy(model, x, inputs, y, one_class, form)  # noqa: E731
    if method in ("int", "int_adv", "int_one"):  # eq. (9): the worst-case discrepancy itself
        x_other = maximize(disc_at, x, eps, a.steps, step_size, a.random_start, generator)
    else:  # int2, int2_adv — eq. (10): the discrepancy at the misclassification attack's example
        x_other = maximize(ce, x, eps, a.steps, step_size, a.random_start, generator)
    disc = disc_at(x_other).mean()
    if method in ("int_adv", "int2_adv"):
        x_adv = x_other if method == "int2_adv" else maximize(ce, x, eps, a.steps, step_size, a.random_start, generator)
        main = ce(x_adv).mean()
    else:
        main = ce(x).mean()
    return main + recipe.gamma * disc, {"disc": float(disc)}
