"""Attack against interpretability (AAI): the top-k attack of paper 001, appendix C (Ghorbani et al., 2019).

Keep the label, push down the interpretation map of ``y`` where the clean map was largest:

    minimize  λ·max{max_{j≠y} f_j(x') − f_y(x'), 0} + Σ_{i ∈ top-k(I(x, y))} I(x', y)_i
    subject to ‖x' − x‖_∞ ≤ ε, x' ∈ [0, 1]

by ``steps`` signed-gradient steps (200 steps of 0.01 in the paper). Two presets of the
protocol (``InterpretationParams.variant``) use this class:

- ``authors_topk``, the authors' released ``aai_topk`` (eval.py): ``random_start=True`` (uniform
  in the ε-ball), ``hinge_weight=0`` (loss = minus the top-k sum, no hinge), ``iterate="last"``;
  the caller passes the true labels and leaves out the images whose prediction changed.
- ``bench_hinge``, bench's first reading of eq. (15): no random start, λ = 1, ``iterate="best"``:
  the iterate with the smallest top-k mass among those that keep the label (the clean image if
  none does), so a success is never lost to a later step that flips the prediction.

Eq. (15) allows any 1-class discrepancy D_1 as the interpretation term; ``objective="l1"``
maximises ‖I(x', y) − I(x, y)‖_1 (eq. 4) instead; its gradient vanishes at x' = x, so that
attack needs the random start (seeded).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from bench.attacks.base import Attack, register_attack
from bench.attacks.pgd import linf_random_start
from bench.explanations.interpreters import interpret


@register_attack("aai")
class TopKInterpretationAttack(Attack):
    """Paper 001, eq. (15): keep the label, push the interpretation away (see the module docstring)."""

    contract_cases = {
        "topk": {"eps": 8 / 255, "steps": 5, "step_size": 0.01},
        "topk-rs": {"eps": 8 / 255, "steps": 5, "step_size": 0.01, "random_start": True},
        "l1": {"eps": 8 / 255, "steps": 5, "step_size": 0.01, "objective": "l1"},
        "authors-topk": {
            "eps": 8 / 255,
            "steps": 5,
            "step_size": 0.01,
            "random_start": True,
            "hinge_weight": 0.0,
            "iterate": "last",
        },
    }

    def __init__(
        self,
        model: nn.Module,
        eps: float,
        steps: int,
        step_size: float,
        *,
        interpreter: str = "cam",
        k: int = 8,
        hinge_weight: float = 1.0,
        bounds: tuple[float, float] = (0.0, 1.0),
        iterate: Literal["best", "last"] = "best",
        objective: Literal["topk", "l1"] = "topk",
        random_start: bool | None = None,
        seed: int = 0,
    ):
        self.model, self.eps, self.steps, self.step_size = model, eps, steps, step_size
        self.interpreter, self.k, self.hinge_weight, self.bounds = (
            interpreter,
            k,
            hinge_weight,
            bounds,
        )
        self.iterate, self.objective, self.seed = iterate, objective, seed
        self.random_start = objective == "l1" if random_start is None else random_start
        if objective == "l1" and not self.random_start:
            raise ValueError(
                "the l1 objective has no gradient at the clean point: it needs a random start"
            )

    def _logits_and_map(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and the map of ``y``; a CAM network gives both from one pass (logits = CAM mean)."""
        if self.interpreter == "cam":
            maps = self.model.cam(x)
            size = maps.shape[-2] * maps.shape[-1]
            return maps.mean(dim=(2, 3)), maps.gather(
                1, y[:, None, None, None].expand(-1, 1, *maps.shape[2:])
            )[:, 0] / size
        return self.model(x), interpret(self.interpreter, self.model, x, y)[:, 0]

    def perturb(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``y``: the labels to keep (the clean predictions). ``eps`` may be one number or one per image."""
        eps = (
            torch.as_tensor(self.eps, dtype=x.dtype, device=x.device)
            .expand(len(x))
            .view(-1, *([1] * (x.dim() - 1)))
        )
        with torch.no_grad():
            clean = self._logits_and_map(x, y)[1].flatten(1)
            top = clean.topk(self.k, dim=1).indices
        best, best_mass = x.clone(), torch.full((len(x),), float("inf"), device=x.device)
        x_adv = (
            linf_random_start(x, eps, self.seed, self.bounds) if self.random_start else x.clone()
        )
        for step in range(
            self.steps + 1
        ):  # iterates 0 … steps are scored; exactly ``steps`` updates
            x_adv = x_adv.detach().requires_grad_(True)
            logits, maps = self._logits_and_map(x_adv, y)
            # the interpretation term to minimise: top-k mass, or minus the ℓ1 distance to the clean map
            mass = (
                maps.flatten(1).gather(1, top).sum(1)
                if self.objective == "topk"
                else -(maps.flatten(1) - clean).abs().sum(1)
            )
            with torch.no_grad():
                better = (logits.argmax(1) == y) & (mass < best_mass)
                best[better], best_mass[better] = x_adv[better], mass[better]
            if step == self.steps:
                break
            (grad,) = torch.autograd.grad((self._hinge(logits, y) + mass).sum(), x_adv)
            with torch.no_grad():
                delta = torch.maximum(
                    torch.minimum(x_adv - self.step_size * grad.sign() - x, eps), -eps
                )
                x_adv = (x + delta).clamp(*self.bounds)
        return x_adv.detach() if self.iterate == "last" else best.detach()

    def _hinge(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """λ·max{max_{j≠y} f_j − f_y, 0}; zero (no graph through it) when λ = 0, as in the authors' loss."""
        if self.hinge_weight == 0:
            return torch.zeros_like(logits[:, 0])
        others = logits.scatter(1, y[:, None], float("-inf")).amax(1)
        return self.hinge_weight * (others - logits.gather(1, y[:, None])[:, 0]).clamp(min=0)
