"""Untargeted cross-entropy PGD (Madry et al., 2018) under an L∞ or L2 budget, batched.

Without a random start the iterates of a k-step run are the first k iterates of any longer
run with the same step size, so :meth:`PGD.accuracy_at_steps` measures PGD-1, -10, -100, -200
in one run of 200 steps, exactly as four separate runs would (the last iterate is scored, as
in paper 001's evaluation; no best-iterate tracking).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn


class PGD:
    def __init__(self, model: nn.Module, eps: float, steps: int, step_size: float, *, norm: Literal["Linf", "L2"] = "Linf",
                 random_start: bool = False, seed: int = 0, bounds: tuple[float, float] = (0.0, 1.0)):
        self.model, self.eps, self.steps, self.step_size = model, eps, steps, step_size
        self.norm, self.random_start, self.seed, self.bounds = norm, random_start, seed, bounds

    def perturb(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The last PGD iterate: within the ε-ball around ``x`` and within ``bounds``."""
        x_adv = self._start(x)
        for _ in range(self.steps):
            x_adv = self._step(x, x_adv, y)
        return x_adv

    @torch.no_grad()
    def accuracy_at_steps(self, x: torch.Tensor, y: torch.Tensor, checkpoints: Sequence[int]) -> dict[int, torch.Tensor]:
        """Per-image correctness of the model on the iterate after each number of steps in ``checkpoints``."""
        wanted = set(checkpoints)
        out = {0: self.model(x).argmax(1) == y} if 0 in wanted else {}
        x_adv = self._start(x)
        for step in range(1, max(checkpoints) + 1):
            with torch.enable_grad():
                x_adv = self._step(x, x_adv, y)
            if step in wanted:
                out[step] = self.model(x_adv).argmax(1) == y
        return out

    def _start(self, x: torch.Tensor) -> torch.Tensor:
        if not self.random_start or self.eps == 0:
            return x.clone()
        gen = torch.Generator(device=x.device).manual_seed(self.seed)
        if self.norm == "Linf":
            noise = (torch.rand(x.shape, generator=gen, device=x.device) * 2 - 1) * self.eps
        else:
            noise = torch.randn(x.shape, generator=gen, device=x.device)
            noise = noise / _l2(noise) * self.eps * torch.rand(len(x), 1, 1, 1, generator=gen, device=x.device)
        return (x + noise).clamp(*self.bounds)

    def _step(self, x: torch.Tensor, x_adv: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x_adv = x_adv.detach().requires_grad_(True)
        loss = F.cross_entropy(self.model(x_adv), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x_adv)
        with torch.no_grad():
            if self.norm == "Linf":
                stepped = x_adv + self.step_size * grad.sign()
                delta = (stepped - x).clamp(-self.eps, self.eps)
            else:
                stepped = x_adv + self.step_size * grad / _l2(grad).clamp_min(1e-12)
                delta = stepped - x
                delta = delta * (self.eps / _l2(delta).clamp_min(1e-12)).clamp(max=1.0)
            return (x + delta).clamp(*self.bounds).detach()


def _l2(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).norm(dim=1).view(-1, *([1] * (t.dim() - 1)))
