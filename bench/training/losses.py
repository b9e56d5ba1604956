"""Training losses of each recipe method (paper 001, eq. 7–10; Madry et al.; TRADES; Cutout).

Every inner maximisation is the same signed-gradient ascent (:func:`maximize`) on a
different objective, from a seeded random start, within the ℓ∞ ball and [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from bench.explanations.discrepancy import (
    authors_target_free_discrepancy,
    target_free_discrepancy,
)
from bench.registry import Registry
from bench.training.recipe import Recipe, RegularizerForm


def maximize(
    objective: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    eps: float,
    steps: int,
    step_size: float,
    random_start: bool,
    generator: torch.Generator,
) -> torch.Tensor:
    """ℓ∞ PGD ascent on ``objective(x') -> (B,)``; the last iterate, detached."""
    if eps == 0:
        return x.detach()
    start = (
        (torch.rand(x.shape, generator=generator) * 2 - 1).to(x) * eps
        if random_start
        else torch.zeros_like(x)
    )
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


def interpretation_discrepancy(
    model,
    x: torch.Tensor,
    x_other: torch.Tensor,
    y: torch.Tensor,
    one_class: bool = False,
    form: RegularizerForm = "authors",
) -> torch.Tensor:
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
    in_rows = (rows[None] >= (cy - side // 2)[:, None]) & (
        rows[None] < (cy - side // 2 + side)[:, None]
    )
    in_cols = (cols[None] >= (cx - side // 2)[:, None]) & (
        cols[None] < (cx - side // 2 + side)[:, None]
    )
    hole = (in_rows[:, :, None] & in_cols[:, None, :])[:, None]
    return x.masked_fill(hole, 0.0)


LossFn = Callable[["Batch"], tuple[torch.Tensor, dict[str, float]]]
LOSSES: Registry[LossFn] = Registry("training loss")


def register(*methods: str) -> Callable[[LossFn], LossFn]:
    """Register a loss under every recipe ``method`` name it implements (no if-chain)."""

    def add(fn: LossFn) -> LossFn:
        for method in methods:
            LOSSES.register(method)(fn)
        return fn

    return add


@dataclass(frozen=True)
class Batch:
    """One optimiser step's inputs: the model, the batch, the recipe, the current ε and the step's generator."""

    model: torch.nn.Module
    x: torch.Tensor
    y: torch.Tensor
    recipe: Recipe
    eps: float
    generator: torch.Generator

    def ce(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-image cross-entropy of the model at ``inputs`` against the true labels."""
        return F.cross_entropy(self.model(inputs), self.y, reduction="none")

    def attack(
        self, objective: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The recipe's inner maximisation (:func:`maximize`) of ``objective`` around ``x`` (default: the batch)."""
        a = self.recipe.attack
        return maximize(
            objective,
            self.x if x is None else x,
            self.eps,
            a.steps,
            a.step_at(self.eps),
            a.random_start,
            self.generator,
        )


def training_loss(
    model, x: torch.Tensor, y: torch.Tensor, recipe: Recipe, eps: float, generator: torch.Generator
) -> tuple[torch.Tensor, dict[str, float]]:
    """The recipe's loss on one batch at the current ε, and what the progress bar shows."""
    return LOSSES.get(recipe.method)(Batch(model, x, y, recipe, eps, generator))


@register("standard")
def standard_loss(b: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    """Regular training: CE(f(x), y)."""
    return b.ce(b.x).mean(), {}


@register("pgd_at")
def pgd_at_loss(b: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    """Madry et al.: CE(f(x′), y), x′ = PGD on CE."""
    return b.ce(b.attack(b.ce)).mean(), {}


@register("cutout_pgd_at")
def cutout_pgd_at_loss(b: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    """Paper 000, A.9: PGD-AT on Cutout images (the hole drawn before the attack's start)."""
    x = cutout(b.x, b.recipe.cutout_size_rel, b.generator)
    return b.ce(b.attack(b.ce, x)).mean(), {}


@register("trades")
def trades_loss(b: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    """TRADES (Zhang et al.): CE(f(x), y) + β·KL(f(x) ‖ f(x′)), x′ = PGD on the KL."""
    clean_log_probs = F.log_softmax(b.model(b.x), dim=1)
    fixed = clean_log_probs.detach()

    def kl(inputs: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        target = fixed if target is None else target
        return F.kl_div(
            F.log_softmax(b.model(inputs), dim=1), target, reduction="none", log_target=True
        ).sum(1)

    robust = kl(b.attack(kl), clean_log_probs)
    return F.nll_loss(clean_log_probs, b.y) + b.recipe.trades_beta * robust.mean(), {
        "kl": float(robust.detach().mean())
    }


@register("int", "int_adv", "int_one", "int2", "int2_adv")
def interpretability_loss(b: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    """Paper 001, eq. (8): main loss + γ·D̃(x, x′).

    x′ maximises D̃ itself for Int (eq. 9) and is the misclassification attack's example for Int2
    (eq. 10); the ``_adv`` recipes replace the clean CE by CE at a PGD-on-CE example.
    """
    method, form = b.recipe.method, b.recipe.regularizer_form

    def disc_at(inputs):
        return interpretation_discrepancy(b.model, b.x, inputs, b.y, method == "int_one", form)

    x_other = b.attack(disc_at if method in ("int", "int_adv", "int_one") else b.ce)
    disc = disc_at(x_other).mean()
    if method in ("int_adv", "int2_adv"):
        main = b.ce(x_other if method == "int2_adv" else b.attack(b.ce)).mean()
    else:
        main = b.ce(b.x).mean()
    return main + b.recipe.gamma * disc, {"disc": float(disc.detach())}
