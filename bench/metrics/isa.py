"""The interpretability sneaking attack as a metric (paper 001, §3, eq. 6): ISA success, its smallest
interpretation discrepancy and NDS per ε, and NDS / NSL at each image's minimal ε* (Table A1)."""

from __future__ import annotations

import numpy as np
import torch

from bench.explanations import interpret
from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.metrics.interpretation import choose_interpreter
from bench.params.isa import NSLParams, SneakingParams
from bench.spec import format_eps


class InterpretabilitySneaking:
    """ISA (paper 001, eq. 6): the smallest interpretation discrepancy of a successful targeted attack, and its NDS."""

    name = "isa"
    label = "ISA"
    params_schema = SneakingParams

    def records(self, values: dict, detail: dict, params: SneakingParams) -> list:
        """Per ε: ISA's success rate (lower is better for the model) and the discrepancy and NDS it
        could not avoid (higher is better: sneaking is harder); then Appendix B's NDS and NSL."""
        from bench.results.values import mean, share

        out, ident = (
            [],
            {"classes": params.classes, "p": params.p, "interpreter": detail["interpreter"]},
        )
        for eps in params.eps:
            e = format_eps(eps)
            part = detail["per_eps"].get(e)
            if part is None:
                continue
            out += [
                share(
                    f"isa_success@{e}",
                    self.name,
                    "success_rate",
                    higher_is_better=False,
                    value=values[f"isa_success@{e}"],
                    n=part["n_attacked"],
                    eps=eps,
                    **ident,
                ),
                mean(
                    f"isa_discrepancy@{e}",
                    self.name,
                    "discrepancy",
                    part["discrepancy"],
                    higher_is_better=True,
                    value=values[f"isa_discrepancy@{e}"],
                    eps=eps,
                    **ident,
                ),
                mean(
                    f"isa_nds@{e}",
                    self.name,
                    "nds",
                    part["nds"],
                    higher_is_better=True,
                    value=values[f"isa_nds@{e}"],
                    eps=eps,
                    **ident,
                ),
            ]
        if params.nsl is not None and "nsl" in detail:
            out += nsl_records(values, detail["nsl"], params.nsl, self.name)
        return out

    def run(self, ctx: RunContext, params: SneakingParams) -> MetricOutput:
        """ISA per fixed ε and, with ``nsl``, NDS and NSL at each image's ε* (Table A1)."""

        interpreter = choose_interpreter(ctx.model, params.interpreter)
        found: dict[float, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {
            eps: [] for eps in params.eps
        }
        slopes: list[dict[str, np.ndarray]] = []
        for _, x, y in ctx.batches():
            with torch.no_grad():
                logits = ctx.model(x)
                keep = logits.argmax(1) == y
                x, y, target = x[keep], y[keep], logits[keep].topk(2, dim=1).indices[:, 1]
            if not len(x):
                continue
            for eps in params.eps:
                ok, d, nds = self._sneak(
                    ctx.model, params, interpreter, params.classes, params.p, x, y, target, eps
                )
                found[eps].append((ok, d, nds))
            if params.nsl is not None:
                slopes.append(self._slopes(ctx.model, params, interpreter, x, y, target))
        values, detail = {}, {"interpreter": interpreter, "per_eps": {}}
        for eps, parts in found.items():
            ok = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=bool)
            d = np.concatenate([p[1] for p in parts])[ok] if parts else np.zeros(0)
            nds = np.concatenate([p[2] for p in parts])[ok] if parts else np.zeros(0)
            e = format_eps(eps)
            values |= {
                f"isa_success@{e}": _mean(ok),
                f"isa_discrepancy@{e}": _mean(d),
                f"isa_nds@{e}": _mean(nds),
            }
            detail["per_eps"][e] = {
                "n_attacked": int(len(ok)),
                "n_successful": int(ok.sum()),
                "discrepancy": np.round(d, 5).tolist(),
                "nds": np.round(nds, 5).tolist(),
            }
        if params.nsl is not None:
            more_values, detail["nsl"] = summarize_slopes(slopes, params.nsl)
            values |= more_values
        return MetricOutput(values=values, detail=detail)

    @staticmethod
    def _sneak(model, params: SneakingParams, interpreter, classes, p, x, y, target, eps):
        """(success, smallest discrepancy, NDS) per image of one ISA at budget(s) ``eps``."""
        from bench.attacks.isa import InterpretabilitySneakingAttack, class_set
        from bench.explanations import normalized_discrepancy

        step = params.step_size
        if params.step_size_rel is not None:
            step = params.step_size_rel * torch.as_tensor(
                eps, dtype=x.dtype, device=x.device
            ).expand(len(x))
            step = step.view(-1, *([1] * (x.dim() - 1)))
        out = InterpretabilitySneakingAttack(
            model,
            eps,
            params.steps,
            step,
            interpreter=interpreter,
            classes=classes,
            p=p,
            tau=params.tau,
            lam_range=params.lam_range,
            bisection_steps=params.bisection_steps,
            random_start=params.random_start,
        ).attack(x, y, target)
        with torch.no_grad():
            chosen = class_set(classes, y, target, model(x[:1]).shape[1])
            nds = normalized_discrepancy(
                interpret(interpreter, model, x, chosen),
                interpret(interpreter, model, out.adversarial, chosen),
                p,
            )
        return out.success.cpu().numpy(), out.discrepancy.cpu().numpy(), nds.cpu().numpy()

    def _slopes(
        self, model, params: SneakingParams, interpreter, x, y, target
    ) -> dict[str, np.ndarray]:
        """ε* per image, then per measure the ISA's success and NDS at ε* and at ratio · ε*."""
        from bench.attacks import minimal_eps

        nsl = params.nsl
        eps_star = minimal_eps(
            model,
            x,
            y,
            nsl.eps_max,
            nsl.pgd_steps,
            step_size=nsl.pgd_step_size,
            step_size_rel=nsl.pgd_step_size_rel,
            search_steps=nsl.search_steps,
        )
        out = {"eps_star": eps_star.cpu().numpy()}
        reach = ~torch.isnan(eps_star)
        for measure in nsl.measures:
            p, classes = int(measure[1]), measure.split("-")[1]
            for tag, budget in (("low", eps_star), ("high", nsl.ratio * eps_star)):
                ok = np.zeros(len(x), dtype=bool)
                nds = np.full(len(x), np.nan)
                if reach.any():
                    sub_ok, _, sub_nds = self._sneak(
                        model,
                        params,
                        interpreter,
                        classes,
                        p,
                        x[reach],
                        y[reach],
                        target[reach],
                        budget[reach],
                    )
                    ok[reach.cpu().numpy()], nds[reach.cpu().numpy()] = sub_ok, sub_nds
                out[f"{measure}:{tag}_ok"], out[f"{measure}:{tag}_nds"] = ok, nds
        return out


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else float("nan")


def summarize_slopes(
    parts: list[dict[str, np.ndarray]], nsl: NSLParams
) -> tuple[dict[str, float], dict]:
    """Appendix B: NDS at ε* and NSL = (|NDS(ε̂) − NDS(ε*)| / NDS(ε*)) / ((ε̂ − ε*) / ε*), averaged over images.

    Images count for a measure when PGD fooled them within ``eps_max`` and the ISA succeeded at both budgets.
    """

    def joined(key):
        return np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)

    eps_star = joined("eps_star")
    reach = ~np.isnan(eps_star)
    values = {
        "pgd_fooled@eps_max": _mean(reach.astype(float)),
        "eps_star_mean": _mean(eps_star[reach]),
    }
    detail = {
        "ratio": nsl.ratio,
        "eps_star": [None if np.isnan(e) else round(float(e), 6) for e in eps_star],
        "per_measure": {},
    }
    for measure in nsl.measures:
        both = joined(f"{measure}:low_ok") & joined(f"{measure}:high_ok")
        low, high = joined(f"{measure}:low_nds")[both], joined(f"{measure}:high_nds")[both]
        slope = np.abs(high - low) / np.maximum(low, np.finfo(float).tiny) / (nsl.ratio - 1)
        values |= {f"isa_nds@eps*[{measure}]": _mean(low), f"isa_nsl[{measure}]": _mean(slope)}
        detail["per_measure"][measure] = {
            "n_fooled_by_pgd": int(reach.sum()),
            "n_both_successful": int(both.sum()),
            "nds_low": np.round(low, 5).tolist(),
            "nds_high": np.round(high, 5).tolist(),
        }
    return values, detail


def nsl_records(values: dict, detail: dict, nsl: NSLParams, metric: str) -> list:
    """Appendix B's values as records: PGD's reach within eps_max, mean ε*, and NDS(ε*) and NSL per measure."""
    from bench.results.values import mean, share

    eps_star = detail["eps_star"]
    out = [
        share(
            "pgd_fooled@eps_max",
            metric,
            "pgd_fooled",
            [e is not None for e in eps_star],
            higher_is_better=False,
            eps_max=nsl.eps_max,
        ),
        mean(
            "eps_star_mean",
            metric,
            "eps_star",
            eps_star,
            higher_is_better=True,
            value=values["eps_star_mean"],
            eps_max=nsl.eps_max,
        ),
    ]
    for measure in nsl.measures:
        part = detail["per_measure"][measure]
        low, high = (
            np.asarray(part["nds_low"], dtype=float),
            np.asarray(part["nds_high"], dtype=float),
        )
        slope = np.abs(high - low) / np.maximum(low, np.finfo(float).tiny) / (nsl.ratio - 1)
        out += [
            mean(
                f"isa_nds@eps*[{measure}]",
                metric,
                "nds_at_eps_star",
                low,
                higher_is_better=True,
                value=values[f"isa_nds@eps*[{measure}]"],
                measure=measure,
            ),
            mean(
                f"isa_nsl[{measure}]",
                metric,
                "nsl",
                slope,
                higher_is_better=True,
                value=values[f"isa_nsl[{measure}]"],
                measure=measure,
                ratio=nsl.ratio,
            ),
        ]
    return out


METRICS.register(InterpretabilitySneaking.name)(InterpretabilitySneaking())
