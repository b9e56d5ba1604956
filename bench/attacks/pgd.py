"""Untargeted cross-entropy PGD (Madry et al., 2018) under an L∞ or L2 budget, batched.

Without a random start the iterates of a k-step run are the first k iterates of any longer
run with the same step size, so :meth:`PGD.accuracy_at_steps` measures PGD-1, -10, -100, -200
in one run of 200 steps, exactly as four separate runs would (the last iterate is scored, as
in paper 001's evaluation; no best-iterate tracking).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from bench.attacks.base import Attack, register_attack


@register_attack("pgd")
class PGD(Attack):
    """Cross-entropy PGD (Madry et al., 2018, eq. 2.1): signed (L∞) or normalised (L2) gradient steps, projected."""

    contract_cases = {
        "linf": {"eps": 8 / 255, "steps": 5, "step_size": 2 / 255},
        "linf-rs": {"eps": 8 / 255, "steps": 5, "step_size": 2 / 255, "random_start": True},
        "l2": {"eps": 0.5, "steps": 5, "step_size": 0.125, "norm": "L2"},
        "l2-rs": {"eps": 0.5, "steps": 5, "step_size": 0.125, "norm": "L2", "random_start": True},
    }

    def __init__(
        self,
        model: nn.Module,
        eps: float,
        steps: int,
        step_size: float,
        *,
        norm: Literal["Linf", "L2"] = "Linf",
        random_start: bool = False,
        seed: int = 0,
        bounds: tuple[float, float] = (0.0, 1.0),
    ):
        self.model, self.eps, self.steps, self.step_size = model, eps, steps, step_size
        self.norm, self.random_start, self.seed, self.bounds = norm, random_start, seed, bounds

    def perturb(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The last PGD iterate: within the ε-ball around ``x`` and within ``bounds``."""
        last = deque(self.iterates(x, y), maxlen=1)
        return last[0] if last else self.start(x)

    def iterates(
        self, x: torch.Tensor, y: torch.Tensor, steps: int | None = None
    ) -> Iterator[torch.Tensor]:
        """The iterates after steps 1, 2, …, ``steps`` (default: the attack's), from :meth:`start`."""
        x_adv = self.start(x)
        for _ in range(self.steps if steps is None else steps):
            with torch.enable_grad():
                x_adv = self.step(x, x_adv, y)
            yield x_adv

    @torch.no_grad()
    def accuracy_at_steps(
        self, x: torch.Tensor, y: torch.Tensor, checkpoints: Sequence[int]
    ) -> dict[int, torch.Tensor]:
        """Per-image correctness of the model on the iterate after each number of steps in ``checkpoints``."""
        wanted = set(checkpoints)
        out = {0: self.model(x).argmax(1) == y} if 0 in wanted else {}
        for step, x_adv in enumerate(self.iterates(x, y, max(checkpoints)), start=1):
            if step in wanted:
                out[step] = self.model(x_adv).argmax(1) == y
        return out

    def start(self, x: torch.Tensor) -> torch.Tensor:
        """The first iterate: ``x`` itself, or a seeded random point of the ε-ball within ``bounds``."""
        if not self.random_start or self.eps == 0:
            return x.clone()
        if self.norm == "Linf":
            return linf_random_start(x, self.eps, self.seed, self.bounds)
        gen = torch.Generator(device=x.device).manual_seed(self.seed)
        noise = torch.randn(x.shape, generator=gen, device=x.device)
        noise = (
            noise
            / _l2(noise)
            * self.eps
            * torch.rand(len(x), 1, 1, 1, generator=gen, device=x.device)
        )
        return (x + noise).clamp(*self.bounds)

    def step(self, x: torch.Tensor, x_adv: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One ascent step on the summed cross-entropy from ``x_adv``, projected onto the ε-ball and ``bounds``."""
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

    _start, _step = start, step  # the names metrics used before the public iterate API


def linf_random_start(
    x: torch.Tensor, eps, seed: int, bounds: tuple[float, float] = (0.0, 1.0)
) -> torch.Tensor:
    """A uniform point of the L∞ ball of radius ``eps`` (a number, or one per image broadcastable to
    ``x``) around ``x``, clamped to ``bounds``; drawn from a generator seeded with ``seed``."""
    gen = torch.Generator(device=x.device).manual_seed(seed)
    noise = (torch.rand(x.shape, generator=gen, device=x.device) * 2 - 1) * eps
    return (x + noise).clamp(*bounds)


def _l2(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).norm(dim=1).view(-1, *([1] * (t.dim() - 1)))


def minimal_eps(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps_max: float,
    steps: int,
    *,
    step_size: float | None = None,
    step_size_rel: float = 0.25,
    search_steps: int = 8,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> torch.Tensor:
    """Per image, the smallest L∞ budget at which PGD misclassifies it (paper 001, App. B: ε*), by bisection.

    All images are searched at once, each PGD run with its own budget. The result is the upper end
    of the final interval (a budget at which the attack did succeed), within ``eps_max / 2**search_steps``;
    NaN where PGD does not succeed even at ``eps_max``. The step is ``step_size`` when given, else
    ``step_size_rel`` × the image's budget.
    """
    shape = (-1,) + (1,) * (x.dim() - 1)

    def fooled(eps: torch.Tensor) -> torch.Tensor:
        step = step_size if step_size is not None else step_size_rel * eps.view(shape)
        x_adv = PGD(model, eps.view(shape), steps, step, bounds=bounds).perturb(x, y)
        with torch.no_grad():
            return model(x_adv).argmax(1) != y

    high = torch.full((len(x),), float(eps_max), dtype=x.dtype, device=x.device)
    low = torch.zeros_like(high)
    reachable = fooled(high)
    for _ in range(search_steps):
        mid = (low + high) / 2
        hit = fooled(mid)
        high, low = torch.where(hit, mid, high), torch.where(hit, low, mid)
    return torch.where(reachable, high, torch.full_like(high, float("nan")))
