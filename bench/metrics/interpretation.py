"""Interpretation robustness of paper 001: AAI with Kendall's τ (§5.2, App. C) and Proposition 1 (§3, App. E).

``interpretation`` runs, per ε of the protocol, the top-k attack against interpretability
and reports the mean Kendall τ between the clean and the attacked map of the predicted class
(``aai_tau@<ε>``; higher is more robust). It also checks Proposition 1 on successful PGD
examples: the ℓ1 2-class discrepancy (eq. 4) against half the clean margin (eq. 5), with
both distributions as deciles (Table A2).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from pydantic import Field, field_validator

from bench.attacks import PGD
from bench.attacks.aai import TopKInterpretationAttack
from bench.interpretation import discrepancy, interpret, kendall_tau
from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.spec import Strict, format_eps, parse_eps

DECILES = tuple(round(0.1 * i, 1) for i in range(1, 10))


class Prop1Params(Strict):
    eps: float = Field(gt=0, description="the PGD budget whose successful examples are checked")
    steps: int = Field(default=200, ge=1)
    step_size: float = Field(default=0.01, gt=0)
    iterate: Literal["last", "first_success"] = Field(
        default="last", description="the PGD iterate checked: the last, or the first that is misclassified "
                                    "(an example just across the decision boundary, where the bound is tight)")

    _eps = field_validator("eps", mode="before")(parse_eps)


class InterpretationParams(Strict):
    interpreter: Literal["auto", "cam", "gradcam", "gradcam_signed", "gradcam_pp"] = Field(
        default="auto", description="auto: CAM when the network has a CAM head, else signed GradCAM")
    eps: tuple[float, ...] = Field(min_length=1, description="AAI budgets (L∞)")
    main_eps: float | None = Field(default=None, description="the board's τ column; None: the largest ε")
    steps: int = Field(default=200, ge=1, description="the paper: 200")
    step_size: float = Field(default=0.01, gt=0, description="the paper: 0.01 whatever ε")
    k: int = Field(default=8, ge=1, description="top-k map positions pushed down (the paper: 8)")
    hinge_weight: float = Field(default=1.0, gt=0, description="λ of eq. (15)")
    prop1: Prop1Params | None = Field(default=None, description="check Proposition 1 (networks with a CAM head)")
    examples: int = Field(default=4, ge=0, description="images whose clean and attacked maps the model page shows")

    @field_validator("eps", mode="before")
    @classmethod
    def _fractions(cls, value):
        return tuple(parse_eps(v) for v in value) if isinstance(value, (list, tuple)) else value

    _main = field_validator("main_eps", mode="before")(parse_eps)


def tau_value(eps: float) -> str:
    return f"aai_tau@{format_eps(eps)}"


def choose_interpreter(model, name: str) -> str:
    return ("cam" if getattr(model, "has_cam", False) else "gradcam_signed") if name == "auto" else name


def first_success(model, x: torch.Tensor, y: torch.Tensor, params: Prop1Params) -> torch.Tensor:
    """Each image's first PGD iterate that the model misclassifies (its last iterate when none is)."""
    attack = PGD(model, params.eps, params.steps, params.step_size)
    found, x_adv = x.clone(), x.clone()
    done = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for _ in range(params.steps):
        x_adv = attack._step(x, x_adv, y)
        with torch.no_grad():
            new = (model(x_adv).argmax(1) != y) & ~done
        found[new], done = x_adv[new], done | new
    found[~done] = x_adv[~done]
    return found


def prop1_batch(model, x, y, params: Prop1Params) -> tuple[np.ndarray, np.ndarray]:
    """(ℓ1 2-class CAM discrepancy, half clean margin) of each successful PGD example of the batch."""
    with torch.no_grad():
        correct = model(x).argmax(1) == y
    x, y = x[correct], y[correct]
    x_adv = first_success(model, x, y, params) if params.iterate == "first_success" else \
        PGD(model, params.eps, params.steps, params.step_size).perturb(x, y)
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
    return [round(float(q), 4) for q in np.quantile(values, DECILES)] if len(values) else []


class Interpretation:
    name = "interpretation"
    label = "Interp. robustness (τ)"
    higher_is_better = True
    percent = False
    params_schema = InterpretationParams

    def board_columns(self, values: dict[str, float], params: dict) -> dict[str, str]:
        p = InterpretationParams.model_validate(params)
        main = tau_value(p.main_eps if p.main_eps is not None else max(p.eps))
        return {f"{self.label} @{main.split('@')[1]}": main} if main in values else {}

    def is_percent(self, value_name: str) -> bool:
        return value_name == "prop1_holds"

    def run(self, ctx: RunContext, params: InterpretationParams) -> MetricOutput:
        interpreter = choose_interpreter(ctx.model, params.interpreter)
        taus: dict[float, list[np.ndarray]] = {eps: [] for eps in params.eps}
        gaps: list[tuple[np.ndarray, np.ndarray]] = []
        main = params.eps.index(params.main_eps) if params.main_eps in params.eps else params.eps.index(max(params.eps))
        shown: dict[str, list[np.ndarray]] = {"clean": [], "map_clean": [], "map_attacked": [], "attacked": [], "tau": []}
        for _, x, y in ctx.batches():
            with torch.no_grad():
                predicted = ctx.model(x).argmax(1)
                clean = interpret(interpreter, ctx.model, x, predicted)[:, 0]
            # every ε at once: one attack on len(eps) copies of the batch, each with its own budget
            budgets = torch.tensor(params.eps, dtype=x.dtype, device=x.device).repeat_interleave(len(x))
            attack = TopKInterpretationAttack(ctx.model, budgets, params.steps, params.step_size,
                                              interpreter=interpreter, k=params.k, hinge_weight=params.hinge_weight)
            x_adv = attack.perturb(x.repeat(len(params.eps), 1, 1, 1), predicted.repeat(len(params.eps)))
            with torch.no_grad():
                attacked = interpret(interpreter, ctx.model, x_adv, predicted.repeat(len(params.eps)))[:, 0]
                tau = kendall_tau(clean.repeat(len(params.eps), 1, 1), attacked).cpu().numpy()
            for i, eps in enumerate(params.eps):
                taus[eps].append(tau[i * len(x):(i + 1) * len(x)])
            room = params.examples - sum(len(a) for a in shown["clean"])
            if room > 0:
                part = slice(main * len(x), main * len(x) + min(room, len(x)))
                for key, value in (("clean", x[:room]), ("map_clean", clean[:room]), ("attacked", x_adv[part]),
                                   ("map_attacked", attacked[part]), ("tau", torch.from_numpy(tau[part]))):
                    shown[key].append(value.detach().cpu().numpy())
            if params.prop1 is not None and getattr(ctx.model, "has_cam", False):
                gaps.append(prop1_batch(ctx.model, x, y, params.prop1))
        # τ is undefined for a constant map (e.g. all zero); such images are counted, not averaged
        values = {tau_value(eps): float(np.nanmean(np.concatenate(t))) for eps, t in taus.items()}
        detail = {"interpreter": interpreter,
                  "undefined_tau": {tau_value(e): int(np.isnan(np.concatenate(t)).sum()) for e, t in taus.items()},
                  "per_image_tau": {tau_value(e): [None if v != v else round(float(v), 5) for v in np.concatenate(t)]
                                    for e, t in taus.items()}}
        if params.prop1 is not None and gaps:
            d = np.concatenate([g[0] for g in gaps])
            half = np.concatenate([g[1] for g in gaps])
            values["prop1_holds"] = float((d >= half - 1e-4 * np.abs(half).clip(min=1)).mean()) if len(d) else float("nan")
            detail["prop1"] = prop1_detail(d, half)
        if ctx.state_dir is not None and params.examples and shown["clean"]:
            (ctx.state_dir / "artifacts").mkdir(exist_ok=True)
            np.savez_compressed(ctx.state_dir / "artifacts" / "examples.npz", eps=params.eps[main],
                                **{k: np.concatenate(v) for k, v in shown.items()})
        return MetricOutput(values=values, detail=detail)


METRICS.register(Interpretation.name)(Interpretation())


class Proposition1:
    """Proposition 1 alone (paper 001, App. E): ℓ1 2-class CAM discrepancy against half the clean margin."""

    name = "proposition1"
    label = "Prop. 1 holds"
    higher_is_better = True
    percent = True
    params_schema = Prop1Params

    def run(self, ctx: RunContext, params: Prop1Params) -> MetricOutput:
        if not getattr(ctx.model, "has_cam", False):
            return MetricOutput(values={}, detail={"skipped": "the network has no CAM head"})
        gaps = [prop1_batch(ctx.model, x, y, params) for _, x, y in ctx.batches()]
        d, half = np.concatenate([g[0] for g in gaps]), np.concatenate([g[1] for g in gaps])
        holds = float((d >= half - 1e-4 * np.abs(half).clip(min=1)).mean()) if len(d) else float("nan")
        return MetricOutput(values={"prop1_holds": holds}, detail={"prop1": prop1_detail(d, half)})


def prop1_detail(d: np.ndarray, half: np.ndarray) -> dict:
    return {"n_successful": int(len(d)), "deciles": list(DECILES), "discrepancy_deciles": deciles(d),
            "half_margin_deciles": deciles(half), "margin_deciles": deciles(2 * half),
            "min_ratio": float((d / half).min()) if len(d) else None}


METRICS.register(Proposition1.name)(Proposition1())


class SneakingParams(Strict):
    interpreter: Literal["auto", "cam", "gradcam", "gradcam_signed", "gradcam_pp"] = "auto"
    eps: tuple[float, ...] = Field(min_length=1, description="ISA budgets (L∞)")
    classes: Literal["one", "two", "all"] = Field(default="two", description="the classes of eq. (3): {y}, {y, t}, all")
    p: Literal[1, 2] = 1
    target: Literal["runner_up"] = Field(default="runner_up", description="t: the second most likely class at x")
    tau: float = Field(default=0.1, gt=0, description="τ of eq. (6): the margin a successful ISA keeps")
    steps: int = Field(default=100, ge=1)
    step_size: float = Field(default=0.01, gt=0)
    lam_range: tuple[float, float] = (1e-3, 1e3)
    bisection_steps: int = Field(default=6, ge=0)

    @field_validator("eps", mode="before")
    @classmethod
    def _fractions(cls, value):
        return tuple(parse_eps(v) for v in value) if isinstance(value, (list, tuple)) else value


class InterpretabilitySneaking:
    """ISA (paper 001, eq. 6): the smallest interpretation discrepancy of a successful targeted attack, and its NDS."""

    name = "isa"
    label = "ISA"
    higher_is_better = True  # a larger unavoidable discrepancy makes sneaking harder
    percent = False
    params_schema = SneakingParams

    def is_percent(self, value_name: str) -> bool:
        return value_name.startswith("isa_success@")

    def run(self, ctx: RunContext, params: SneakingParams) -> MetricOutput:
        from bench.attacks.isa import InterpretabilitySneakingAttack, class_set
        from bench.interpretation import normalized_discrepancy

        interpreter = choose_interpreter(ctx.model, params.interpreter)
        found: dict[float, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {eps: [] for eps in params.eps}
        for _, x, y in ctx.batches():
            with torch.no_grad():
                logits = ctx.model(x)
                keep = logits.argmax(1) == y
                x, y, target = x[keep], y[keep], logits[keep].topk(2, dim=1).indices[:, 1]
            if not len(x):
                continue
            classes = class_set(params.classes, y, target, logits.shape[1])
            for eps in params.eps:
                out = InterpretabilitySneakingAttack(
                    ctx.model, eps, params.steps, params.step_size, interpreter=interpreter, classes=params.classes,
                    p=params.p, tau=params.tau, lam_range=params.lam_range,
                    bisection_steps=params.bisection_steps).attack(x, y, target)
                with torch.no_grad():
                    nds = normalized_discrepancy(interpret(interpreter, ctx.model, x, classes),
                                                 interpret(interpreter, ctx.model, out.adversarial, classes), params.p)
                found[eps].append((out.success.cpu().numpy(), out.discrepancy.cpu().numpy(), nds.cpu().numpy()))
        values, detail = {}, {"interpreter": interpreter, "per_eps": {}}
        for eps, parts in found.items():
            ok = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=bool)
            d = np.concatenate([p[1] for p in parts])[ok] if parts else np.zeros(0)
            nds = np.concatenate([p[2] for p in parts])[ok] if parts else np.zeros(0)
            e = format_eps(eps)
            values |= {f"isa_success@{e}": float(ok.mean()) if len(ok) else float("nan"),
                       f"isa_discrepancy@{e}": float(d.mean()) if len(d) else float("nan"),
                       f"isa_nds@{e}": float(nds.mean()) if len(nds) else float("nan")}
            detail["per_eps"][e] = {"n_attacked": int(len(ok)), "n_successful": int(ok.sum()),
                                    "discrepancy": np.round(d, 5).tolist(), "nds": np.round(nds, 5).tolist()}
        return MetricOutput(values=values, detail=detail)


METRICS.register(InterpretabilitySneaking.name)(InterpretabilitySneaking())
