"""Interpretation robustness of paper 001: the attack against interpretability with Kendall's τ (§5.2, App. C).

``interpretation`` runs, per ε of the protocol, the top-k attack against interpretability
and reports the mean Kendall τ between the clean and the attacked map (``aai_tau@<ε>``; higher
is more robust). ``variant`` picks the attack: ``authors_topk`` (the authors' released
``aai_topk``: random start, no hinge, last iterate, changed predictions left out, true-label
map) or ``bench_hinge`` (no random start, hinge, best label-keeping iterate, predicted-class
map). With ``prop1`` it also checks Proposition 1 (:mod:`bench.metrics.proposition1`).
"""

from __future__ import annotations

import numpy as np
import torch

from bench.attacks.aai import TopKInterpretationAttack
from bench.explanations import interpret, kendall_tau
from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.metrics.interpreter_choice import choose_interpreter, unavailable_reason
from bench.metrics.proposition1 import (
    prop1_batch,
    prop1_detail,
    prop1_holds,
    prop1_record,
)
from bench.metrics.state import save_examples
from bench.params.interpretation import AUTHORS_TOPK, InterpretationParams
from bench.spec import format_eps
from bench.stats.means import finite_mean_or_nan

__all__ = [
    "AUTHORS_TOPK",
    "Interpretation",
    "InterpretationParams",
    "attack_batch",
    "choose_interpreter",
    "tau_value",
]

EXAMPLES = ("clean", "map_clean", "map_attacked", "attacked", "tau")
"""What the model page shows of an example: the clean image and map, the attacked ones, and τ."""


def attack_batch(
    ctx: RunContext, params: InterpretationParams, settings: dict, interpreter: str, x, y, predicted
):
    """Every ε at once (one attack on len(eps) copies of the batch, each with its own budget): the clean map,
    the attacked images and maps, τ per copy and whether the copy's prediction changed (App. C, §5.2)."""
    copies = len(params.eps)
    label = (y if settings["cam_label"] == "true" else predicted).repeat(copies)
    with torch.no_grad():
        clean = interpret(interpreter, ctx.model, x, label[: len(x)])[:, 0]
    budgets = torch.tensor(params.eps, dtype=x.dtype, device=x.device).repeat_interleave(len(x))
    attack = TopKInterpretationAttack(
        ctx.model,
        budgets,
        params.steps,
        params.step_size,
        interpreter=interpreter,
        k=params.k,
        hinge_weight=settings["hinge_weight"],
        iterate=settings["iterate"],
        objective=params.objective,
        random_start=settings["random_start"],
        seed=ctx.seed,
    )
    x_adv = attack.perturb(x.repeat(copies, 1, 1, 1), label)
    with torch.no_grad():
        attacked = interpret(interpreter, ctx.model, x_adv, label)[:, 0]
        tau = kendall_tau(clean.repeat(copies, 1, 1), attacked).cpu().numpy()
        flipped = (ctx.model(x_adv).argmax(1) != predicted.repeat(copies)).cpu().numpy()
    return clean, x_adv, attacked, tau, flipped


def resolved_record_params(detail: dict, params: InterpretationParams) -> dict:
    """The AAI settings a τ record carries; results written before the variants existed lack them in detail."""
    settings = (
        {f: detail[f] for f in AUTHORS_TOPK}
        if all(f in detail for f in AUTHORS_TOPK)
        else params.resolved()
    )
    return {"variant": detail.get("variant", params.variant), **settings}


def tau_value(eps: float) -> str:
    """The value name of mean τ at ``eps``: ``aai_tau@8/255``."""

    return f"aai_tau@{format_eps(eps)}"


class Interpretation:
    """The ``interpretation`` metric: mean Kendall τ under the AAI per ε (paper 001, §5.2)."""

    name = "interpretation"
    label = "Interp. robustness (τ)"
    params_schema = InterpretationParams

    def records(self, values: dict, detail: dict, params: InterpretationParams) -> list:
        """Mean Kendall τ per ε (bootstrap over the images it is defined on); Proposition 1's share."""
        from bench.results.values import mean

        if "skipped" in detail:
            return []
        main = params.main_eps if params.main_eps is not None else max(params.eps)
        out = []
        for eps in params.eps:
            name = tau_value(eps)
            if name not in values:
                continue
            taus = detail["per_image_tau"][name]
            changed = detail.get("label_changed_flags", {}).get(name, [0] * len(taus))
            out.append(
                mean(
                    name,
                    self.name,
                    "tau",
                    [None if c else t for t, c in zip(taus, changed)],
                    higher_is_better=True,
                    value=values[name],
                    attack="aai",
                    eps=eps,
                    steps=params.steps,
                    k=params.k,
                    interpreter=detail["interpreter"],
                    objective=params.objective,
                    **resolved_record_params(detail, params),
                    main=eps == main,
                )
            )
        if "prop1_holds" in values and params.prop1 is not None:
            out.append(
                prop1_record(values["prop1_holds"], detail["prop1"], params.prop1, self.name)
            )
        return out

    def run(self, ctx: RunContext, params: InterpretationParams) -> MetricOutput:
        """τ per ε over the selected images (and Proposition 1 when asked), batch by batch."""
        interpreter = choose_interpreter(ctx.model, params.interpreter)
        reason = unavailable_reason(ctx.model, interpreter)
        if reason:
            if ctx.progress is not None:
                ctx.progress(len(ctx.indices))
            return MetricOutput(values={}, detail={"skipped": reason, "interpreter": interpreter})
        settings = params.resolved()
        main = (
            params.eps.index(params.main_eps)
            if params.main_eps in params.eps
            else params.eps.index(max(params.eps))
        )
        taus, changed, gaps, shown = self._attack_all(ctx, params, settings, interpreter, main)
        values, detail = _tau_summary(params, settings, interpreter, taus, changed)
        if params.prop1 is not None and gaps:
            d, half = np.concatenate([g[0] for g in gaps]), np.concatenate([g[1] for g in gaps])
            values["prop1_holds"] = prop1_holds(d, half)
            detail["prop1"] = prop1_detail(d, half)
        if ctx.state_dir is not None and params.examples and shown["clean"]:
            save_examples(
                ctx, {"eps": params.eps[main], **{k: np.concatenate(v) for k, v in shown.items()}}
            )
        return MetricOutput(values=values, detail=detail)

    @staticmethod
    def _attack_all(
        ctx: RunContext, params: InterpretationParams, settings: dict, interpreter: str, main: int
    ):
        """Per ε the batches' τ and changed-prediction flags, Proposition 1's pairs and the page's examples."""
        taus: dict[float, list[np.ndarray]] = {eps: [] for eps in params.eps}
        changed: dict[float, list[np.ndarray]] = {eps: [] for eps in params.eps}
        gaps: list[tuple[np.ndarray, np.ndarray]] = []
        shown: dict[str, list[np.ndarray]] = {key: [] for key in EXAMPLES}
        for idx, x, y in ctx.batches():
            with torch.no_grad():
                predicted = (
                    ctx.predicted(idx) if ctx.predictions is not None else ctx.model(x).argmax(1)
                )
            clean, x_adv, attacked, tau, flipped = attack_batch(
                ctx, params, settings, interpreter, x, y, predicted
            )
            for i, eps in enumerate(params.eps):
                taus[eps].append(tau[i * len(x) : (i + 1) * len(x)])
                changed[eps].append(flipped[i * len(x) : (i + 1) * len(x)])
            _keep_examples(shown, params.examples, main, x, (clean, x_adv, attacked, tau))
            if params.prop1 is not None and getattr(ctx.model, "has_cam", False):
                gaps.append(prop1_batch(ctx.model, x, y, params.prop1))
        return taus, changed, gaps, shown


def _keep_examples(shown: dict, examples: int, main: int, x, batch: tuple) -> None:
    """Add a batch's first images to ``shown`` until it holds ``examples`` of each of
    :data:`EXAMPLES` (the attacked ones at the main ε, copy ``main`` of :func:`attack_batch`)."""
    clean, x_adv, attacked, tau = batch
    room = examples - sum(len(a) for a in shown["clean"])
    if room <= 0:
        return
    part = slice(main * len(x), main * len(x) + min(room, len(x)))
    for key, value in (
        ("clean", x[:room]),
        ("map_clean", clean[:room]),
        ("attacked", x_adv[part]),
        ("map_attacked", attacked[part]),
        ("tau", torch.from_numpy(tau[part])),
    ):
        shown[key].append(value.detach().cpu().numpy())


def _tau_summary(
    params: InterpretationParams, settings: dict, interpreter: str, taus: dict, changed: dict
):
    """Mean τ per ε and the detail: per-image τ, changed predictions, undefined τ (constant maps).

    τ is undefined for a constant map (e.g. all zero); such images are counted, not averaged. An
    image whose prediction the attack changed (possible only with iterate: last) is left out too.
    """
    kept = {
        eps: np.where(np.concatenate(changed[eps]), np.nan, np.concatenate(t))
        for eps, t in taus.items()
    }
    values = {tau_value(eps): finite_mean_or_nan(t) for eps, t in kept.items()}
    detail = {
        "interpreter": interpreter,
        "variant": params.variant,
        "objective": params.objective,
        **settings,
        "label_changed": {tau_value(e): int(np.concatenate(c).sum()) for e, c in changed.items()},
        "label_changed_flags": {
            tau_value(e): np.concatenate(c).astype(int).tolist() for e, c in changed.items()
        },
        "undefined_tau": {
            tau_value(e): int(np.isnan(np.concatenate(t)).sum()) for e, t in taus.items()
        },
        "per_image_tau": {
            tau_value(e): [None if v != v else round(float(v), 5) for v in np.concatenate(t)]
            for e, t in taus.items()
        },
    }
    return values, detail


METRICS.register(Interpretation.name)(Interpretation())
