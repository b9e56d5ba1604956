"""Interpretation robustness of paper 001: AAI with Kendall's τ (§5.2, App. C) and Proposition 1 (§3, App. E).

``interpretation`` runs, per ε of the protocol, the top-k attack against interpretability
and reports the mean Kendall τ between the clean and the attacked map (``aai_tau@<ε>``; higher
is more robust). ``variant`` picks the attack: ``authors_topk`` (the authors' released
``aai_topk``: random start, no hinge, last iterate, changed predictions left out, true-label
map) or ``bench_hinge`` (no random start, hinge, best label-keeping iterate, predicted-class map). It also checks Proposition 1 on successful PGD
examples: the ℓ1 2-class discrepancy (eq. 4) against half the clean margin (eq. 5), with
both distributions as deciles (Table A2).
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import torch
from pydantic import Field, field_validator, model_validator

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
    random_start: bool = Field(default=False, description="start PGD from a uniform point of the ε-ball "
                                                         "(the paper: no)")

    _eps = field_validator("eps", mode="before")(parse_eps)


# The authors' released aai_topk (eval.py of github.com/AkhilanB/Proper-Interpretability).
AUTHORS_TOPK = {"hinge_weight": 0.0, "iterate": "last", "random_start": True, "cam_label": "true"}


class InterpretationParams(Strict):
    interpreter: Literal["auto", "cam", "gradcam", "gradcam_signed", "gradcam_pp"] = Field(
        default="auto", description="auto: CAM when the network has a CAM head, else signed GradCAM")
    eps: tuple[float, ...] = Field(min_length=1, description="AAI budgets (L∞)")
    main_eps: float | None = Field(default=None, description="the board's τ column; None: the largest ε")
    steps: int = Field(default=200, ge=1, description="the paper: 200")
    step_size: float = Field(default=0.01, gt=0, description="the paper: 0.01 whatever ε")
    k: int = Field(default=8, ge=1, description="top-k map positions pushed down (the paper: 8)")
    variant: Literal["bench_hinge", "authors_topk"] = Field(
        default="bench_hinge", description="the AAI preset: authors_topk, the authors' released aai_topk (uniform "
        "random start, no hinge, last iterate, images whose prediction changed left out, true-label CAM); "
        "bench_hinge (no random start, hinge λ = 1, best label-keeping iterate, predicted-class CAM), whose "
        "fields below may be changed one at a time")
    hinge_weight: float | None = Field(default=None, ge=0, description="λ of eq. (15); None: the variant's")
    iterate: Literal["best", "last"] | None = Field(
        default=None, description="best: the label-keeping iterate with the least top-k mass (every image counts); "
                                  "last: the final iterate, images whose prediction changed left out of τ; "
                                  "None: the variant's")
    random_start: bool | None = Field(
        default=None, description="start the attack from a uniform point of the ε-ball; None: the variant's "
                                  "(bench_hinge: only for objective l1, which has no gradient at the clean point)")
    cam_label: Literal["predicted", "true"] | None = Field(
        default=None, description="whose map is attacked and compared: the clean prediction's or the true label's; "
                                  "None: the variant's")
    objective: Literal["topk", "l1"] = Field(
        default="topk", description="the interpretation term of eq. (15): topk, the mass of the clean map's k largest "
                                    "positions (the paper's experiments); l1, the 1-class ℓ1 discrepancy of eq. (4)")
    prop1: Prop1Params | None = Field(default=None, description="check Proposition 1 (networks with a CAM head)")
    examples: int = Field(default=4, ge=0, description="images whose clean and attacked maps the model page shows")

    @field_validator("eps", mode="before")
    @classmethod
    def _fractions(cls, value):
        return tuple(parse_eps(v) for v in value) if isinstance(value, (list, tuple)) else value

    _main = field_validator("main_eps", mode="before")(parse_eps)

    @model_validator(mode="after")
    def _consistent(self):
        given = {f: getattr(self, f) for f in AUTHORS_TOPK if getattr(self, f) is not None}
        if self.variant == "authors_topk":
            clash = {f: v for f, v in given.items() if v != AUTHORS_TOPK[f]}
            if clash or self.objective != "topk":
                raise ValueError(f"variant authors_topk fixes {AUTHORS_TOPK} and objective topk; {clash or 'objective l1'}"
                                 " contradicts it: use variant bench_hinge to change a setting")
        if self.objective == "l1" and self.random_start is False:
            raise ValueError("objective l1 has no gradient at the clean point: leave random_start unset or true")
        return self

    def resolved(self) -> dict:
        """The attack's effective settings: the variant's preset with this protocol's explicit fields."""
        preset = AUTHORS_TOPK if self.variant == "authors_topk" else \
            {"hinge_weight": 1.0, "iterate": "best", "random_start": self.objective == "l1", "cam_label": "predicted"}
        return {f: preset[f] if getattr(self, f) is None else getattr(self, f) for f in preset}


def attack_batch(ctx: RunContext, params: InterpretationParams, settings: dict, interpreter: str, x, y, predicted):
    """Every ε at once (one attack on len(eps) copies of the batch, each with its own budget): the clean map,
    the attacked images and maps, τ per copy and whether the copy's prediction changed (App. C, §5.2)."""
    copies = len(params.eps)
    label = (y if settings["cam_label"] == "true" else predicted).repeat(copies)
    with torch.no_grad():
        clean = interpret(interpreter, ctx.model, x, label[:len(x)])[:, 0]
    budgets = torch.tensor(params.eps, dtype=x.dtype, device=x.device).repeat_interleave(len(x))
    attack = TopKInterpretationAttack(ctx.model, budgets, params.steps, params.step_size, interpreter=interpreter,
                                      k=params.k, hinge_weight=settings["hinge_weight"], iterate=settings["iterate"],
                                      objective=params.objective, random_start=settings["random_start"], seed=ctx.seed)
    x_adv = attack.perturb(x.repeat(copies, 1, 1, 1), label)
    with torch.no_grad():
        attacked = interpret(interpreter, ctx.model, x_adv, label)[:, 0]
        tau = kendall_tau(clean.repeat(copies, 1, 1), attacked).cpu().numpy()
        flipped = (ctx.model(x_adv).argmax(1) != predicted.repeat(copies)).cpu().numpy()
    return clean, x_adv, attacked, tau, flipped


def resolved_record_params(detail: dict, params: InterpretationParams) -> dict:
    """The AAI settings a τ record carries; results written before the variants existed lack them in detail."""
    settings = {f: detail[f] for f in AUTHORS_TOPK} if all(f in detail for f in AUTHORS_TOPK) else params.resolved()
    return {"variant": detail.get("variant", params.variant), **settings}


def tau_value(eps: float) -> str:
    return f"aai_tau@{format_eps(eps)}"


def choose_interpreter(model, name: str) -> str:
    return ("cam" if getattr(model, "has_cam", False) else "gradcam_signed") if name == "auto" else name


def unavailable_reason(model, interpreter: str) -> str | None:
    """Why ``interpreter`` cannot explain ``model`` (no CAM head, no convolution for GradCAM), or None."""
    from bench.errors import SpecError
    from bench.interpretation.interpreters import last_conv_layer

    if interpreter == "cam":
        return None if getattr(model, "has_cam", False) else "the network has no CAM head"
    if interpreter.startswith("gradcam"):
        try:
            last_conv_layer(model)
        except SpecError:
            return "the network has neither a CAM head nor a convolution for GradCAM"
    return None


def first_success(model, x: torch.Tensor, y: torch.Tensor, params: Prop1Params) -> torch.Tensor:
    """Each image's first PGD iterate that the model misclassifies (its last iterate when none is)."""
    attack = PGD(model, params.eps, params.steps, params.step_size, random_start=params.random_start)
    found, x_adv = x.clone(), attack._start(x)
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
        PGD(model, params.eps, params.steps, params.step_size, random_start=params.random_start).perturb(x, y)
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
            out.append(mean(name, self.name, "tau", [None if c else t for t, c in zip(taus, changed)],
                            higher_is_better=True, value=values[name], attack="aai", eps=eps, steps=params.steps,
                            k=params.k, interpreter=detail["interpreter"], objective=params.objective,
                            **resolved_record_params(detail, params), main=eps == main))
        if "prop1_holds" in values and params.prop1 is not None:
            out.append(prop1_record(values["prop1_holds"], detail["prop1"], params.prop1, self.name))
        return out

    def run(self, ctx: RunContext, params: InterpretationParams) -> MetricOutput:
        interpreter = choose_interpreter(ctx.model, params.interpreter)
        reason = unavailable_reason(ctx.model, interpreter)
        if reason:
            if ctx.progress is not None:
                ctx.progress(len(ctx.indices))
            return MetricOutput(values={}, detail={"skipped": reason, "interpreter": interpreter})
        taus: dict[float, list[np.ndarray]] = {eps: [] for eps in params.eps}
        changed: dict[float, list[np.ndarray]] = {eps: [] for eps in params.eps}
        gaps: list[tuple[np.ndarray, np.ndarray]] = []
        main = params.eps.index(params.main_eps) if params.main_eps in params.eps else params.eps.index(max(params.eps))
        shown: dict[str, list[np.ndarray]] = {"clean": [], "map_clean": [], "map_attacked": [], "attacked": [], "tau": []}
        settings = params.resolved()
        for idx, x, y in ctx.batches():
            with torch.no_grad():
                predicted = ctx.predicted(idx) if ctx.predictions is not None else ctx.model(x).argmax(1)
            clean, x_adv, attacked, tau, flipped = attack_batch(ctx, params, settings, interpreter, x, y, predicted)
            for i, eps in enumerate(params.eps):
                taus[eps].append(tau[i * len(x):(i + 1) * len(x)])
                changed[eps].append(flipped[i * len(x):(i + 1) * len(x)])
            room = params.examples - sum(len(a) for a in shown["clean"])
            if room > 0:
                part = slice(main * len(x), main * len(x) + min(room, len(x)))
                for key, value in (("clean", x[:room]), ("map_clean", clean[:room]), ("attacked", x_adv[part]),
                                   ("map_attacked", attacked[part]), ("tau", torch.from_numpy(tau[part]))):
                    shown[key].append(value.detach().cpu().numpy())
            if params.prop1 is not None and getattr(ctx.model, "has_cam", False):
                gaps.append(prop1_batch(ctx.model, x, y, params.prop1))
        # τ is undefined for a constant map (e.g. all zero); such images are counted, not averaged.
        # An image whose prediction the attack changed (possible only with iterate: last) is left out too.
        kept = {eps: np.where(np.concatenate(changed[eps]), np.nan, np.concatenate(t)) for eps, t in taus.items()}
        values = {tau_value(eps): _nanmean(t) for eps, t in kept.items()}
        detail = {"interpreter": interpreter, "variant": params.variant, "objective": params.objective, **settings,
                  "label_changed": {tau_value(e): int(np.concatenate(c).sum()) for e, c in changed.items()},
                  "label_changed_flags": {tau_value(e): np.concatenate(c).astype(int).tolist()
                                          for e, c in changed.items()},
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
            out.append(share(prop1_accuracy_value(params), self.name, "accuracy", higher_is_better=True,
                             value=(detail["n_correct"] - fooled) / n if n else None, n=n, attack="pgd",
                             eps=params.eps, steps=params.steps, iterate=params.iterate))
        return out

    def run(self, ctx: RunContext, params: Prop1Params) -> MetricOutput:
        if not getattr(ctx.model, "has_cam", False):
            return MetricOutput(values={}, detail={"skipped": "the network has no CAM head"})
        gaps = [prop1_batch(ctx.model, x, y, params) for _, x, y in ctx.batches()]
        d, half = np.concatenate([g[0] for g in gaps]), np.concatenate([g[1] for g in gaps])
        holds = float((d >= half - 1e-4 * np.abs(half).clip(min=1)).mean()) if len(d) else float("nan")
        correct = int((torch.as_tensor(ctx.predictions) == torch.from_numpy(ctx.testset.labels[ctx.indices])).sum()) \
            if ctx.predictions is not None else None
        detail = {"prop1": prop1_detail(d, half), "n_images": len(ctx.indices)}
        detail |= {"n_correct": correct} if correct is not None else {}
        out = MetricOutput(values={"prop1_holds": holds}, detail=detail)
        if correct is not None:
            out.values[prop1_accuracy_value(params)] = (correct - len(d)) / len(ctx.indices)
        return out


def prop1_accuracy_value(params: Prop1Params) -> str:
    return f"prop1_pgd{params.steps}_acc@{format_eps(params.eps)}"


def prop1_record(holds: float, detail: dict, params: Prop1Params, metric: str):
    """Proposition 1 (eq. 5) holds on this share of the successful PGD examples (exact interval)."""
    from bench.results.values import share

    return share("prop1_holds", metric, "prop1_holds", higher_is_better=True, value=holds,
                 n=detail["n_successful"], attack="pgd", eps=params.eps, steps=params.steps, iterate=params.iterate)


def prop1_detail(d: np.ndarray, half: np.ndarray) -> dict:
    return {"n_successful": int(len(d)), "deciles": list(DECILES), "discrepancy_deciles": deciles(d),
            "half_margin_deciles": deciles(half), "margin_deciles": deciles(2 * half),
            "min_ratio": float((d / half).min()) if len(d) else None}


METRICS.register(Proposition1.name)(Proposition1())


MEASURE = r"^l[12]-(one|two|all)$"


class NSLParams(Strict):
    """Appendix B's normalised slope: ISA at each image's ε* and at ``ratio`` × ε*."""

    measures: tuple[str, ...] = Field(default=("l1-two",), min_length=1, description="discrepancies of eq. (3) as "
                                      "'l<p>-<classes>': l1-two is eq. (4); Table A1 has l1/l2 × one/two/all")
    eps_max: float = Field(gt=0, description="upper end of the search for ε*; images PGD cannot fool within it are left out")
    ratio: float = Field(default=1.6, gt=1, description="ε̂ = ratio · ε* (the paper: 1.6)")
    search_steps: int = Field(default=8, ge=1, description="bisection steps for ε* (precision eps_max / 2**search_steps)")
    pgd_steps: int = Field(default=100, ge=1, description="PGD steps of the ε* search")
    pgd_step_size: float | None = Field(default=None, gt=0, description="absolute PGD step; None: pgd_step_size_rel × ε")
    pgd_step_size_rel: float = Field(default=0.25, gt=0)

    _eps = field_validator("eps_max", "pgd_step_size", mode="before")(parse_eps)

    @field_validator("measures")
    @classmethod
    def _measures(cls, value):
        bad = [m for m in value if not re.match(MEASURE, m)]
        if bad:
            raise ValueError(f"unknown measure(s) {bad}: write l1-one, l1-two, l1-all, l2-one, l2-two or l2-all")
        return value


class SneakingParams(Strict):
    interpreter: Literal["auto", "cam", "gradcam", "gradcam_signed", "gradcam_pp"] = "auto"
    eps: tuple[float, ...] = Field(default=(), description="fixed ISA budgets (L∞); may be empty when nsl is set")
    classes: Literal["one", "two", "all"] = Field(default="two", description="the classes of eq. (3): {y}, {y, t}, all")
    p: Literal[1, 2] = 1
    target: Literal["runner_up"] = Field(default="runner_up", description="t: the second most likely class at x")
    tau: float = Field(default=0.1, gt=0, description="τ of eq. (6): the margin a successful ISA keeps")
    steps: int = Field(default=100, ge=1)
    step_size: float = Field(default=0.01, gt=0)
    step_size_rel: float | None = Field(default=None, gt=0, description="if set, the step is this × the budget "
                                        "(per image at ε*), instead of step_size")
    lam_range: tuple[float, float] = (1e-3, 1e3)
    bisection_steps: int = Field(default=6, ge=0)
    random_start: bool = Field(default=False, description="start each attack run from one seeded uniform point of "
                                                         "the ε-ball (the paper gives no start)")
    nsl: NSLParams | None = Field(default=None, description="also measure NDS and NSL at each image's ε* (Table A1)")

    @field_validator("eps", mode="before")
    @classmethod
    def _fractions(cls, value):
        return tuple(parse_eps(v) for v in value) if isinstance(value, (list, tuple)) else value

    @model_validator(mode="after")
    def _something_to_do(self):
        if not self.eps and self.nsl is None:
            raise ValueError("give fixed budgets (eps) or an nsl block, or both")
        return self


class InterpretabilitySneaking:
    """ISA (paper 001, eq. 6): the smallest interpretation discrepancy of a successful targeted attack, and its NDS."""

    name = "isa"
    label = "ISA"
    params_schema = SneakingParams

    def records(self, values: dict, detail: dict, params: SneakingParams) -> list:
        """Per ε: ISA's success rate (lower is better for the model) and the discrepancy and NDS it
        could not avoid (higher is better: sneaking is harder); then Appendix B's NDS and NSL."""
        from bench.results.values import mean, share

        out, ident = [], {"classes": params.classes, "p": params.p, "interpreter": detail["interpreter"]}
        for eps in params.eps:
            e = format_eps(eps)
            part = detail["per_eps"].get(e)
            if part is None:
                continue
            out += [share(f"isa_success@{e}", self.name, "success_rate", higher_is_better=False,
                          value=values[f"isa_success@{e}"], n=part["n_attacked"], eps=eps, **ident),
                    mean(f"isa_discrepancy@{e}", self.name, "discrepancy", part["discrepancy"], higher_is_better=True,
                         value=values[f"isa_discrepancy@{e}"], eps=eps, **ident),
                    mean(f"isa_nds@{e}", self.name, "nds", part["nds"], higher_is_better=True,
                         value=values[f"isa_nds@{e}"], eps=eps, **ident)]
        if params.nsl is not None and "nsl" in detail:
            out += nsl_records(values, detail["nsl"], params.nsl, self.name)
        return out

    def run(self, ctx: RunContext, params: SneakingParams) -> MetricOutput:
        interpreter = choose_interpreter(ctx.model, params.interpreter)
        found: dict[float, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {eps: [] for eps in params.eps}
        slopes: list[dict[str, np.ndarray]] = []
        for _, x, y in ctx.batches():
            with torch.no_grad():
                logits = ctx.model(x)
                keep = logits.argmax(1) == y
                x, y, target = x[keep], y[keep], logits[keep].topk(2, dim=1).indices[:, 1]
            if not len(x):
                continue
            for eps in params.eps:
                ok, d, nds = self._sneak(ctx.model, params, interpreter, params.classes, params.p, x, y, target, eps)
                found[eps].append((ok, d, nds))
            if params.nsl is not None:
                slopes.append(self._slopes(ctx.model, params, interpreter, x, y, target))
        values, detail = {}, {"interpreter": interpreter, "per_eps": {}}
        for eps, parts in found.items():
            ok = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=bool)
            d = np.concatenate([p[1] for p in parts])[ok] if parts else np.zeros(0)
            nds = np.concatenate([p[2] for p in parts])[ok] if parts else np.zeros(0)
            e = format_eps(eps)
            values |= {f"isa_success@{e}": _mean(ok), f"isa_discrepancy@{e}": _mean(d), f"isa_nds@{e}": _mean(nds)}
            detail["per_eps"][e] = {"n_attacked": int(len(ok)), "n_successful": int(ok.sum()),
                                    "discrepancy": np.round(d, 5).tolist(), "nds": np.round(nds, 5).tolist()}
        if params.nsl is not None:
            more_values, detail["nsl"] = summarize_slopes(slopes, params.nsl)
            values |= more_values
        return MetricOutput(values=values, detail=detail)

    @staticmethod
    def _sneak(model, params: SneakingParams, interpreter, classes, p, x, y, target, eps):
        """(success, smallest discrepancy, NDS) per image of one ISA at budget(s) ``eps``."""
        from bench.attacks.isa import InterpretabilitySneakingAttack, class_set
        from bench.interpretation import normalized_discrepancy

        step = params.step_size
        if params.step_size_rel is not None:
            step = params.step_size_rel * torch.as_tensor(eps, dtype=x.dtype, device=x.device).expand(len(x))
            step = step.view(-1, *([1] * (x.dim() - 1)))
        out = InterpretabilitySneakingAttack(
            model, eps, params.steps, step, interpreter=interpreter, classes=classes, p=p,
            tau=params.tau, lam_range=params.lam_range, bisection_steps=params.bisection_steps,
            random_start=params.random_start).attack(x, y, target)
        with torch.no_grad():
            chosen = class_set(classes, y, target, model(x[:1]).shape[1])
            nds = normalized_discrepancy(interpret(interpreter, model, x, chosen),
                                         interpret(interpreter, model, out.adversarial, chosen), p)
        return out.success.cpu().numpy(), out.discrepancy.cpu().numpy(), nds.cpu().numpy()

    def _slopes(self, model, params: SneakingParams, interpreter, x, y, target) -> dict[str, np.ndarray]:
        """ε* per image, then per measure the ISA's success and NDS at ε* and at ratio · ε*."""
        from bench.attacks import minimal_eps

        nsl = params.nsl
        eps_star = minimal_eps(model, x, y, nsl.eps_max, nsl.pgd_steps, step_size=nsl.pgd_step_size,
                               step_size_rel=nsl.pgd_step_size_rel, search_steps=nsl.search_steps)
        out = {"eps_star": eps_star.cpu().numpy()}
        reach = ~torch.isnan(eps_star)
        for measure in nsl.measures:
            p, classes = int(measure[1]), measure.split("-")[1]
            for tag, budget in (("low", eps_star), ("high", nsl.ratio * eps_star)):
                ok = np.zeros(len(x), dtype=bool)
                nds = np.full(len(x), np.nan)
                if reach.any():
                    sub_ok, _, sub_nds = self._sneak(model, params, interpreter, classes, p, x[reach], y[reach],
                                                     target[reach], budget[reach])
                    ok[reach.cpu().numpy()], nds[reach.cpu().numpy()] = sub_ok, sub_nds
                out[f"{measure}:{tag}_ok"], out[f"{measure}:{tag}_nds"] = ok, nds
        return out


def _nanmean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def summarize_slopes(parts: list[dict[str, np.ndarray]], nsl: NSLParams) -> tuple[dict[str, float], dict]:
    """Appendix B: NDS at ε* and NSL = (|NDS(ε̂) − NDS(ε*)| / NDS(ε*)) / ((ε̂ − ε*) / ε*), averaged over images.

    Images count for a measure when PGD fooled them within ``eps_max`` and the ISA succeeded at both budgets.
    """
    def joined(key):
        return np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)

    eps_star = joined("eps_star")
    reach = ~np.isnan(eps_star)
    values = {"pgd_fooled@eps_max": _mean(reach.astype(float)), "eps_star_mean": _mean(eps_star[reach])}
    detail = {"ratio": nsl.ratio, "eps_star": [None if np.isnan(e) else round(float(e), 6) for e in eps_star],
              "per_measure": {}}
    for measure in nsl.measures:
        both = joined(f"{measure}:low_ok") & joined(f"{measure}:high_ok")
        low, high = joined(f"{measure}:low_nds")[both], joined(f"{measure}:high_nds")[both]
        slope = np.abs(high - low) / np.maximum(low, np.finfo(float).tiny) / (nsl.ratio - 1)
        values |= {f"isa_nds@eps*[{measure}]": _mean(low), f"isa_nsl[{measure}]": _mean(slope)}
        detail["per_measure"][measure] = {
            "n_fooled_by_pgd": int(reach.sum()), "n_both_successful": int(both.sum()),
            "nds_low": np.round(low, 5).tolist(), "nds_high": np.round(high, 5).tolist()}
    return values, detail


def nsl_records(values: dict, detail: dict, nsl: NSLParams, metric: str) -> list:
    """Appendix B's values as records: PGD's reach within eps_max, mean ε*, and NDS(ε*) and NSL per measure."""
    from bench.results.values import mean, share

    eps_star = detail["eps_star"]
    out = [share("pgd_fooled@eps_max", metric, "pgd_fooled", [e is not None for e in eps_star],
                 higher_is_better=False, eps_max=nsl.eps_max),
           mean("eps_star_mean", metric, "eps_star", eps_star, higher_is_better=True, value=values["eps_star_mean"],
                eps_max=nsl.eps_max)]
    for measure in nsl.measures:
        part = detail["per_measure"][measure]
        low, high = np.asarray(part["nds_low"], dtype=float), np.asarray(part["nds_high"], dtype=float)
        slope = np.abs(high - low) / np.maximum(low, np.finfo(float).tiny) / (nsl.ratio - 1)
        out += [mean(f"isa_nds@eps*[{measure}]", metric, "nds_at_eps_star", low, higher_is_better=True,
                     value=values[f"isa_nds@eps*[{measure}]"], measure=measure),
                mean(f"isa_nsl[{measure}]", metric, "nsl", slope, higher_is_better=True,
                     value=values[f"isa_nsl[{measure}]"], measure=measure, ratio=nsl.ratio)]
    return out


METRICS.register(InterpretabilitySneaking.name)(InterpretabilitySneaking())
