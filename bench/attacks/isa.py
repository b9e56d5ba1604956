"""Interpretability sneaking attack (ISA): paper 001, §3, eq. (6), with a bisection on λ.

A targeted attack that fools the classifier into ``target`` while keeping the interpretation
close to the clean one:

    minimize  λ·max{max_{j≠t} f_j(x') − f_t(x'), −τ} + D(x, x')   s.t. ‖x' − x‖_∞ ≤ ε

D is eq. (3) over the classes {y} (1-class), {y, t} (2-class) or all classes, with norm p.
For each λ, signed-gradient steps from x; the iterate kept is the one with the smallest D
among those classified as ``t`` (a successful ISA). λ is bisected geometrically per image:
a smaller λ weighs the discrepancy more. The attack reports the smallest discrepancy of any
successful example it found over the bisection — how little a successful attack can move the
interpretation — and the smallest λ that still succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from bench.attacks.base import Attack, register_attack
from bench.attacks.pgd import linf_random_start
from bench.explanations.discrepancy import discrepancy
from bench.explanations.interpreters import interpret

ClassSet = Literal["one", "two", "all"]


def class_set(
    which: ClassSet, labels: torch.Tensor, target: torch.Tensor, num_classes: int
) -> torch.Tensor:
    """The interpreted classes per image, (B, K): {y}, {y, t} or all classes."""
    if which == "one":
        return labels[:, None]
    if which == "two":
        return torch.stack([labels, target], dim=1)
    return torch.arange(num_classes, device=labels.device).expand(len(labels), -1)


@dataclass
class SneakingOutcome:
    """Per image: whether ISA succeeded, the kept example, its discrepancy D and its λ."""

    success: torch.Tensor  # (B,) a successful ISA was found at some λ
    discrepancy: torch.Tensor  # (B,) D of the kept example (inf when none)
    lam: torch.Tensor  # (B,) the smallest successful λ (nan when none)
    adversarial: torch.Tensor  # (B, C, H, W) the kept example (x when none)


Target = torch.Tensor | Literal["runner_up"]


@register_attack("isa")
class InterpretabilitySneakingAttack(Attack):
    """Paper 001, eq. (6): fool the classifier into ``target`` while keeping the interpretation close.

    ``target`` (a constructor parameter, as every attack's parameters are): the target labels, or
    ``"runner_up"``, the clean image's second most likely class (paper 001, §5).
    """

    contract_cases = {
        "two-class": {"eps": 8 / 255, "steps": 10, "step_size": 0.01, "bisection_steps": 1},
        "two-class-rs": {
            "eps": 8 / 255,
            "steps": 10,
            "step_size": 0.01,
            "bisection_steps": 1,
            "random_start": True,
        },
    }

    def __init__(
        self,
        model: nn.Module,
        eps,
        steps: int,
        step_size: float,
        *,
        interpreter: str = "cam",
        classes: ClassSet = "two",
        p: int = 1,
        tau: float = 0.1,
        lam_range: tuple[float, float] = (1e-3, 1e3),
        bisection_steps: int = 6,
        bounds: tuple[float, float] = (0.0, 1.0),
        random_start: bool = False,
        seed: int = 0,
        target: Target = "runner_up",
    ):
        self.model, self.eps, self.steps, self.step_size = model, eps, steps, step_size
        self.interpreter, self.classes, self.p, self.tau = interpreter, classes, p, tau
        self.lam_range, self.bisection_steps, self.bounds = lam_range, bisection_steps, bounds
        self.random_start, self.seed, self.target = random_start, seed, target

    def perturb(
        self, x: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The kept example of :meth:`attack` for ``target`` (default: the constructor's)."""
        return self.attack(x, y, self.targets(x) if target is None else target).adversarial

    def targets(self, x: torch.Tensor) -> torch.Tensor:
        """The constructor's target labels for ``x``: given, or the runner-up class of each clean image."""
        if isinstance(self.target, torch.Tensor):
            return self.target
        with torch.no_grad():
            return self.model(x).topk(2, dim=1).indices[:, 1]

    def attack(self, x: torch.Tensor, y: torch.Tensor, target: torch.Tensor) -> SneakingOutcome:
        """Bisection on λ ∈ ``lam_range`` (geometric), ``bisection_steps`` halvings after the upper end."""
        with torch.no_grad():
            num_classes = self.model(x[:1]).shape[1]
        classes = class_set(self.classes, y, target, num_classes)
        with torch.no_grad():
            clean_maps = interpret(self.interpreter, self.model, x, classes).detach()
        low = torch.full((len(x),), self.lam_range[0], device=x.device)
        high = torch.full((len(x),), self.lam_range[1], device=x.device)
        best = SneakingOutcome(
            torch.zeros(len(x), dtype=torch.bool, device=x.device),
            torch.full((len(x),), float("inf"), device=x.device),
            torch.full((len(x),), float("nan"), device=x.device),
            x.clone(),
        )
        for i in range(self.bisection_steps + 1):
            lam = high if i == 0 else torch.sqrt(low * high)
            ok, d, x_adv = self._run(x, target, classes, clean_maps, lam)
            if i > 0:  # the first run only tells which images can be fooled at all
                high, low = torch.where(ok, lam, high), torch.where(ok, low, lam)
            keep = ok & (d < best.discrepancy)
            best.success |= ok
            best.discrepancy = torch.where(keep, d, best.discrepancy)
            best.lam = torch.where(ok, torch.fmin(best.lam, lam), best.lam)
            best.adversarial[keep] = x_adv[keep]
        return best

    def _run(self, x, target, classes, clean_maps, lam):
        """One PGD run at per-image λ: (success, smallest D among successful iterates, that iterate)."""
        eps = (
            torch.as_tensor(self.eps, dtype=x.dtype, device=x.device)
            .expand(len(x))
            .view(-1, *([1] * (x.dim() - 1)))
        )
        found = torch.zeros(len(x), dtype=torch.bool, device=x.device)
        best_d = torch.full((len(x),), float("inf"), device=x.device)
        best_x = x.clone()
        # every λ of the bisection starts from the same point: x, or one seeded random point of the ball
        x_adv = (
            linf_random_start(x, eps, self.seed, self.bounds) if self.random_start else x.clone()
        )
        for _ in range(self.steps + 1):
            x_adv = x_adv.detach().requires_grad_(True)
            logits = self.model(x_adv)
            others = logits.scatter(1, target[:, None], float("-inf")).amax(1)
            margin = others - logits.gather(1, target[:, None])[:, 0]
            d = discrepancy(
                clean_maps, interpret(self.interpreter, self.model, x_adv, classes), self.p
            )
            with torch.no_grad():
                better = (logits.argmax(1) == target) & (d < best_d)
                found |= better
                best_d, best_x[better] = torch.where(better, d, best_d), x_adv[better]
            loss = (lam * margin.clamp(min=-self.tau) + d).sum()
            (grad,) = torch.autograd.grad(loss, x_adv)
            with torch.no_grad():
                delta = torch.maximum(
                    torch.minimum(x_adv - self.step_size * grad.sign() - x, eps), -eps
                )
                x_adv = (x + delta).clamp(*self.bounds)
        return found, best_d, best_x.detach()
