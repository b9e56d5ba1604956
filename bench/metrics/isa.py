"""The interpretability sneaking attack as a metric (paper 001, §3, eq. 6): ISA success, its smallest
interpretation discrepancy and NDS per ε, and NDS / NSL at each image's minimal ε* (Table A1).

The ISA on one batch is :mod:`bench.metrics.isa_batch`; ε* and NSL (Appendix B) are
:mod:`bench.metrics.nsl`.
"""

from __future__ import annotations

import numpy as np

from bench.metrics.base import METRICS, MetricOutput, RunContext
from bench.metrics.interpreter_choice import choose_interpreter
from bench.metrics.isa_batch import attacked_images, sneak_batch
from bench.metrics.nsl import batch_slopes, nsl_records, summarize_slopes
from bench.params.isa import NSLParams, SneakingParams
from bench.spec import format_eps
from bench.stats.means import mean_or_nan

__all__ = ["InterpretabilitySneaking", "NSLParams", "SneakingParams", "summarize_slopes"]

Found = dict[float, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]
"""Per ε, each batch's (success, smallest discrepancy, NDS) per attacked image."""


def eps_summary(found: Found) -> tuple[dict[str, float], dict[str, dict]]:
    """Per ε: ISA's success rate and the mean discrepancy and NDS of its successes, and the
    detail (counts, and the discrepancy and NDS of each success)."""
    values, per_eps = {}, {}
    for eps, parts in found.items():
        ok = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=bool)
        d = np.concatenate([p[1] for p in parts])[ok] if parts else np.zeros(0)
        nds = np.concatenate([p[2] for p in parts])[ok] if parts else np.zeros(0)
        e = format_eps(eps)
        values |= {
            f"isa_success@{e}": mean_or_nan(ok),
            f"isa_discrepancy@{e}": mean_or_nan(d),
            f"isa_nds@{e}": mean_or_nan(nds),
        }
        per_eps[e] = {
            "n_attacked": int(len(ok)),
            "n_successful": int(ok.sum()),
            "discrepancy": np.round(d, 5).tolist(),
            "nds": np.round(nds, 5).tolist(),
        }
    return values, per_eps


class InterpretabilitySneaking:
    """ISA (paper 001, eq. 6): the smallest interpretation discrepancy of a successful targeted attack, and its NDS."""

    name = "isa"
    label = "ISA"
    params_schema = SneakingParams

    def records(self, values: dict, detail: dict, params: SneakingParams) -> list:
        """Per ε: ISA's success rate (lower is better for the model) and the discrepancy and NDS it
        could not avoid (higher is better: sneaking is harder); then Appendix B's NDS and NSL."""
        ident = {"classes": params.classes, "p": params.p, "interpreter": detail["interpreter"]}
        out = []
        for eps in params.eps:
            part = detail["per_eps"].get(format_eps(eps))
            if part is not None:
                out += self._eps_records(values, part, eps, ident)
        if params.nsl is not None and "nsl" in detail:
            out += nsl_records(values, detail["nsl"], params.nsl, self.name)
        return out

    def _eps_records(self, values: dict, part: dict, eps: float, ident: dict) -> list:
        """ISA's success rate (exact interval) and mean discrepancy and NDS (bootstrap) at ``eps``."""
        from bench.results.values import mean, share

        e = format_eps(eps)
        return [
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
            *(
                mean(
                    f"isa_{quantity}@{e}",
                    self.name,
                    quantity,
                    part[quantity],
                    higher_is_better=True,
                    value=values[f"isa_{quantity}@{e}"],
                    eps=eps,
                    **ident,
                )
                for quantity in ("discrepancy", "nds")
            ),
        ]

    def run(self, ctx: RunContext, params: SneakingParams) -> MetricOutput:
        """ISA per fixed ε and, with ``nsl``, NDS and NSL at each image's ε* (Table A1)."""
        interpreter = choose_interpreter(ctx.model, params.interpreter)
        found, slopes = self._attack_all(ctx, params, interpreter)
        values, per_eps = eps_summary(found)
        detail = {"interpreter": interpreter, "per_eps": per_eps}
        if params.nsl is not None:
            more_values, detail["nsl"] = summarize_slopes(slopes, params.nsl)
            values |= more_values
        return MetricOutput(values=values, detail=detail)

    @staticmethod
    def _attack_all(ctx: RunContext, params: SneakingParams, interpreter: str):
        """Batch by batch, on the correctly classified images: the ISA per ε, and ε* and the
        slopes' ISAs when ``nsl`` is set."""
        found: Found = {eps: [] for eps in params.eps}
        slopes: list[dict[str, np.ndarray]] = []
        for _, x, y in ctx.batches():
            x, y, target = attacked_images(ctx.model, x, y)
            if not len(x):
                continue
            for eps in params.eps:
                found[eps].append(
                    sneak_batch(
                        ctx.model, params, interpreter, params.classes, params.p, x, y, target, eps
                    )
                )
            if params.nsl is not None:
                slopes.append(batch_slopes(ctx.model, params, interpreter, x, y, target))
        return found, slopes


METRICS.register(InterpretabilitySneaking.name)(InterpretabilitySneaking())
