"""Proposition 1 of paper 001 (§3, App. E): the ℓ1 2-class CAM discrepancy of a successful PGD example
(eq. 4) against half the clean margin (eq. 5), with both distributions as deciles (Table A2)."""

from __future__ import annotations

import numpy as np
import torch

from bench.attacks import PGD
from bench.explanations import discrepancy, interpret
from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.params.proposition1 import Prop1Params
from bench.spec import format_eps

DECILES = tuple(round(0.1 * i, 1) for i in range(1, 10))


def first_success(model, x: torch.Tensor, y: torch.Tensor, params: Prop1Params) -> torch.Tensor:
    """Each image's first PGD iterate that the model misclassifies (its last iterate when none is)."""
    attack = PGD(
        model, params.eps, params.steps, params.step_size, random_start=params.random_start
    )
    found, x_adv = x.clone(), attack.start(x)
    done = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for x_adv in attack.iterates(x, y):
        with torch.no_grad():
            new = (model(x_adv).argmax(1) != y) & ~done
        found[new], done = x_adv[new], done | new
    found[~done] = x_adv[~done]
    return found


def prop1_holds(d: np.ndarray, half: np.ndarray) -> float:
    """The share of examples on which eq. (5) holds, D ≥ ½ margin (to a relative 1e-4 for float error)."""
    return float((d >= half - 1e-4 * np.abs(half).clip(min=1)).mean()) if len(d) else float("nan")


def prop1_batch(model, x, y, params: Prop1Params) -> tuple[np.ndarray, np.ndarray]:
    """(ℓ1 2-class CAM discrepancy, half clean margin) of each successful PGD example of the batch."""
    with torch.no_grad():
        correct = model(x).argmax(1) == y
    x, y = x[correct], y[correct]
    x_adv = (
        first_success(model, x, y, params)
        if params.iterate == "first_success"
        else PGD(
            model, params.eps, params.steps, params.step_size, random_start=params.random_start
        ).perturb(x, y)
    )
    with torch.no_grad():
        y_adv = model(x_adv).argmax(1)
        hit = y_adv != y
        x, x_adv, y, y_adv = x[hit], x_adv[hit], y[hit], y_adv[hit]
        pair = torch.stack([y, y_adv], dim=1)
        d = discrepancy(interpret("cam", model, x, pair), interpret("cam", model, x_adv, pair), p=1)
        logits = model(x)
        half_margin = 0.5 * (logits.gather(1, y[:, None]) - logits.gather(1, y_adv[:, None]))[:, 0]
    return d.cpu().numpy(), half_margin.cpu().numpy()


def deciles(values: np.ndarray) -> list[float]:
    """The 10%…90% quantiles of ``values`` (Table A2's summary), rounded; empty when none."""

    return [round(float(q), 4) for q in np.quantile(values, DECILES)] if len(values) else []


class Proposition1:
    """Proposition 1 alone (paper 001, App. E): ℓ1 2-class CAM discrepancy against half the clean margin."""

    name = "proposition1"
    label = "Prop. 1 holds"
    params_schema = Prop1Params

    def records(self, values: dict, detail: dict, params: Prop1Params) -> list:
        """The share of successful PGD examples on which the bound of eq. (5) holds, and the accuracy
        under that PGD (the images it did not fool: correctly classified minus successful, over all)."""
        from bench.results.values import share

        if "prop1_holds" not in values:
            return []
        out = [prop1_record(values["prop1_holds"], detail["prop1"], params, self.name)]
        if "n_correct" in detail:
            n, fooled = detail["n_images"], detail["prop1"]["n_successful"]
            out.append(
                share(
                    prop1_accuracy_value(params),
                    self.name,
                    "accuracy",
                    higher_is_better=True,
                    value=(detail["n_correct"] - fooled) / n if n else None,
                    n=n,
                    attack="pgd",
                    eps=params.eps,
                    steps=params.steps,
                    iterate=params.iterate,
                )
            )
        return out

    def run(self, ctx: RunContext, params: Prop1Params) -> MetricOutput:
        """The share of successful PGD examples where eq. (5) holds, and the accuracy under that PGD."""

        if not getattr(ctx.model, "has_cam", False):
            return MetricOutput(values={}, detail={"skipped": "the network has no CAM head"})
        gaps = [prop1_batch(ctx.model, x, y, params) for _, x, y in ctx.batches()]
        d, half = np.concatenate([g[0] for g in gaps]), np.concatenate([g[1] for g in gaps])
        holds = prop1_holds(d, half)
        correct = (
            int(
                (
                    torch.as_tensor(ctx.predictions)
                    == torch.from_numpy(ctx.testset.labels[ctx.indices])
                ).sum()
            )
            if ctx.predictions is not None
            else None
        )
        detail = {"prop1": prop1_detail(d, half), "n_images": len(ctx.indices)}
        detail |= {"n_correct": correct} if correct is not None else {}
        out = MetricOutput(values={"prop1_holds": holds}, detail=detail)
        if correct is not None:
            out.values[prop1_accuracy_value(params)] = (correct - len(d)) / len(ctx.indices)
        return out


def prop1_accuracy_value(params: Prop1Params) -> str:
    """The value name of the accuracy under Proposition 1's PGD: ``prop1_pgd200_acc@8/255``."""

    return f"prop1_pgd{params.steps}_acc@{format_eps(params.eps)}"


def prop1_record(holds: float, detail: dict, params: Prop1Params, metric: str):
    """Proposition 1 (eq. 5) holds on this share of the successful PGD examples (exact interval)."""
    from bench.results.values import share

    return share(
        "prop1_holds",
        metric,
        "prop1_holds",
        higher_is_better=True,
        value=holds,
        n=detail["n_successful"],
        attack="pgd",
        eps=params.eps,
        steps=params.steps,
        iterate=params.iterate,
    )


def prop1_detail(d: np.ndarray, half: np.ndarray) -> dict:
    """Deciles of the discrepancy, the half margin and the margin, and the smallest ratio D / ½m."""

    return {
        "n_successful": int(len(d)),
        "deciles": list(DECILES),
        "discrepancy_deciles": deciles(d),
        "half_margin_deciles": deciles(half),
        "margin_deciles": deciles(2 * half),
        "min_ratio": float((d / half).min()) if len(d) else None,
    }


METRICS.register(Proposition1.name)(Proposition1())
