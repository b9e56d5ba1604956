"""PGD accuracy over a grid of ε and step counts (paper 001, Table 1 and Table A3), plus a one-step baseline.

Value names carry the budget: ``pgd200_acc@8/255`` (accuracy under 200-step PGD at ε = 8/255),
``fgsm_acc@8/255`` (one step of size ε). Step counts of one ε share a single PGD run (see
:class:`bench.attacks.PGD`).
"""

from __future__ import annotations

import torch

from bench.attacks import PGD
from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.params.pgd_grid import PGDGridParams
from bench.spec import format_eps


def pgd_value(steps: int, eps: float) -> str:
    """The value name of accuracy under ``steps``-step PGD at ``eps``: ``pgd200_acc@8/255``."""
    return f"pgd{steps}_acc@{format_eps(eps)}"


def fgsm_value(eps: float) -> str:
    """The value name of accuracy under FGSM at ``eps``: ``fgsm_acc@8/255``."""
    return f"fgsm_acc@{format_eps(eps)}"


def zero_gradient_mask(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per image: does the cross-entropy have an all-zero input gradient at the clean point (a sign of masking)?"""
    x = x.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(x), y, reduction="sum")
    (grad,) = torch.autograd.grad(loss, x)
    return grad.flatten(1).abs().amax(1) == 0


class PGDGrid:
    """Accuracy under ℓ∞/ℓ2 PGD (Madry et al. 2018) per ε and step count, and FGSM.

    Paper 001, Table 1 and Table A3.
    """

    name = "pgd_grid"
    label = "PGD"
    params_schema = PGDGridParams

    def run(self, ctx: RunContext, params: PGDGridParams) -> MetricOutput:
        """Per-image robust flags for every (ε, steps) and FGSM, and zero-gradient flags."""
        norm = params.norm or ctx.protocol.threat_model
        flags: dict[str, list[torch.Tensor]] = {}
        zero: list[torch.Tensor] = []
        for _, x, y in ctx.batches():
            zero.append(zero_gradient_mask(ctx.model, x, y).cpu())
            for eps in params.eps:
                for name, ok in self._batch(ctx, params, norm, eps, x, y).items():
                    flags.setdefault(name, []).append(ok.cpu())
        robust = {name: torch.cat(parts) for name, parts in flags.items()}
        return MetricOutput(
            values={name: int(ok.sum()) / len(ok) for name, ok in robust.items()},
            detail={
                "norm": norm,
                "robust_flags": {name: ok.int().tolist() for name, ok in robust.items()},
                "zero_gradient_images": int(torch.cat(zero).sum()),
                "zero_gradient_flags": torch.cat(zero).int().tolist(),
            },
        )

    def records(self, values: dict, detail: dict, params: PGDGridParams) -> list:
        """Accuracy under PGD per (ε, steps) and under FGSM per ε, from the per-image robust flags."""
        from bench.results.values import share

        norm, flags, out = detail.get("norm"), detail.get("robust_flags", {}), []
        for eps in params.eps:
            grid = (
                [(pgd_value(max(params.steps), 0.0), "none", max(params.steps))]
                if eps == 0
                else [(pgd_value(k, eps), "pgd", k) for k in params.steps]
                + ([(fgsm_value(eps), "fgsm", 1)] if params.one_step_baseline else [])
            )
            out += [
                share(
                    name,
                    self.name,
                    "accuracy",
                    flags.get(name),
                    higher_is_better=True,
                    attack=attack,
                    eps=eps,
                    steps=steps,
                    norm=norm,
                )
                for name, attack, steps in grid
                if name in values
            ]
        return out

    @staticmethod
    def _batch(
        ctx: RunContext, params: PGDGridParams, norm: str, eps: float, x, y
    ) -> dict[str, torch.Tensor]:
        if eps == 0:
            with torch.no_grad():
                return {pgd_value(max(params.steps), 0.0): ctx.model(x).argmax(1) == y}
        step = params.step_size or params.step_size_rel * eps
        attack = PGD(
            ctx.model,
            eps,
            max(params.steps),
            step,
            norm=norm,
            random_start=params.random_start,
            seed=ctx.seed,
        )
        out = {
            pgd_value(k, eps): ok for k, ok in attack.accuracy_at_steps(x, y, params.steps).items()
        }
        if params.one_step_baseline:
            fgsm = PGD(ctx.model, eps, 1, eps, norm=norm)
            out[fgsm_value(eps)] = fgsm.accuracy_at_steps(x, y, [1])[1]
        return out


METRICS.register(PGDGrid.name)(PGDGrid())
