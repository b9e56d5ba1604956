"""What the boards show: a label per (metric, quantity), the battery table's columns, cell formatting.

Presentation lives here, not in the metrics: a value's identity (metric, quantity, params),
unit and direction come from its record (:class:`bench.results.values.Value`); this module
only says how to name and print it. Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bench.registry import Registry
from bench.results import Result
from bench.results.values import Value
from bench.spec import format_eps

LABELS: Registry[Callable[[dict], str]] = Registry("value label")
"""(metric, quantity) as ``"metric/quantity"`` → a function of the value's params giving its label."""


def _eps(params: dict, key: str = "eps") -> str:
    return format_eps(params[key]) if key in params else "?"


def _register(key: str, make: Callable[[dict], str]) -> None:
    LABELS.register(key)(make)


_NOISE = {"noise_i": "Noise-I", "noise_ii": "Noise-II", "noise_random": "Random pixels"}
for _key, _make in {
    "clean_accuracy/accuracy": lambda p: "Clean",
    "pgd_grid/accuracy": lambda p: (
        f"PGD-{p['steps']} @{_eps(p)}"
        if p.get("attack") == "pgd"
        else f"FGSM @{_eps(p)}"
        if p.get("attack") == "fgsm"
        else "Clean (PGD grid)"
    ),
    "autoattack/accuracy": lambda p: f"AutoAttack @{_eps(p)}",
    "inequality/gini_global": lambda p: "Gini-g",
    "inequality/gini_regional": lambda p: "Gini-r",
    "inequality/error_rate": lambda p: (
        f"Occ-{str(p['colour'])[0].upper()} N{p['max_count']}R{p['max_radius']}"
        if p.get("attack") == "occlusion"
        else f"{_NOISE.get(str(p.get('attack')), p.get('attack'))} k={p.get('k')}"
    ),
    "interpretation/tau": lambda p: f"τ @{_eps(p)}",
    "interpretation/prop1_holds": lambda p: f"Prop. 1 holds @{_eps(p)}",
    "proposition1/prop1_holds": lambda p: f"Prop. 1 holds @{_eps(p)}",
    "isa/success_rate": lambda p: f"ISA success @{_eps(p)}",
    "isa/discrepancy": lambda p: f"ISA discrepancy @{_eps(p)}",
    "isa/nds": lambda p: f"ISA NDS @{_eps(p)}",
    "isa/pgd_fooled": lambda p: f"PGD fooled within {_eps(p, 'eps_max')}",
    "isa/eps_star": lambda p: "mean ε*",
    "isa/nds_at_eps_star": lambda p: f"NDS(ε*) [{p.get('measure')}]",
    "isa/nsl": lambda p: f"NSL [{p.get('measure')}]",
}.items():
    _register(_key, _make)


def label(value: Value) -> str:
    """The human label of a value, with its unit and direction: ``AutoAttack @8/255 (%) ↑``."""
    key = f"{value.metric}/{value.quantity}"
    text = LABELS.get(key)(dict(value.params)) if key in LABELS else value.name
    return (
        f"{text}{' (%)' if value.unit == 'share' else ''} {'↑' if value.higher_is_better else '↓'}"
    )


def number(value: Value, x: float | None) -> str:
    """A value's number as shown: a share in % with one decimal, else three decimals."""
    if x is None or x != x:
        return "n/a"
    return f"{100 * x:.1f}" if value.unit == "share" else f"{x:.3f}"


def cell(value: Value | None, interval: bool = True) -> str:
    """A board cell: the number and, where it has one, its 95% interval: ``57.0 [52.6, 61.2]``."""
    if value is None:
        return "-"
    text = number(value, value.value)
    if interval and value.value is not None and value.ci_low is not None:
        text += f" [{number(value, value.ci_low)}, {number(value, value.ci_high)}]"
    return text


def training(result: Result) -> str:
    """The Training cell: the method, and the threat model and ε it was trained against if any."""
    t = result.model.training
    return (
        t.method
        if t.threat_model == "none"
        else f"{t.method} ({t.threat_model} {format_eps(t.eps)})"
    )


def missing(result: Result, metric: str) -> str:
    """A cell with no value: ``n/a†`` where the metric skipped itself (with a recorded reason), else ``-``."""
    return "n/a†" if result.details.get(metric, {}).get("skipped") else "-"


def skip_reasons(results: list[Result]) -> list[str]:
    """The recorded reasons behind a table's ``n/a†`` cells, as sorted ``metric: reason`` lines."""
    return sorted(
        {
            f"{m}: {d['skipped']}"
            for r in results
            for m, d in r.details.items()
            if isinstance(d, dict) and d.get("skipped")
        }
    )


@dataclass(frozen=True)
class Column:
    """A battery column: the record of ``metric``/``quantity`` whose params include ``params``."""

    label: str
    metric: str
    quantity: str
    params: dict = field(default_factory=dict)
    higher_is_better: bool = True

    def pick(self, values: list[Value]) -> Value | None:
        """The first matching record whose ``main`` param is not False, else the first match."""
        found = [v for v in values if v.matches(self.metric, self.quantity, **self.params)]
        return next(
            (v for v in found if v.params.get("main", True) is True), found[0] if found else None
        )

    def header(self, unit: str) -> str:
        """The column heading with ``(%)`` for a share and the direction arrow."""
        return f"{self.label}{' (%)' if unit == 'share' else ''} {'↑' if self.higher_is_better else '↓'}"


BATTERY_COLUMNS = (
    Column("Clean", "clean_accuracy", "accuracy"),
    Column("AutoAttack", "autoattack", "accuracy"),
    Column("Gini-g", "inequality", "gini_global", higher_is_better=False),
    Column("Gini-r", "inequality", "gini_regional", higher_is_better=False),
    Column("Noise-I", "inequality", "error_rate", {"attack": "noise_i"}, higher_is_better=False),
    Column("Noise-II", "inequality", "error_rate", {"attack": "noise_ii"}, higher_is_better=False),
    Column(
        "Occ-B",
        "inequality",
        "error_rate",
        {"attack": "occlusion", "colour": "black"},
        higher_is_better=False,
    ),
    Column(
        "Occ-G",
        "inequality",
        "error_rate",
        {"attack": "occlusion", "colour": "grey"},
        higher_is_better=False,
    ),
    Column(
        "Occ-W",
        "inequality",
        "error_rate",
        {"attack": "occlusion", "colour": "white"},
        higher_is_better=False,
    ),
    Column("τ", "interpretation", "tau"),
)
"""The battery table (issue 12): ranked by AutoAttack accuracy, highest first (RobustBench's convention)."""

BATTERY_UNITS = {
    "Clean": "share",
    "AutoAttack": "share",
    "Gini-g": "score",
    "Gini-r": "score",
    "τ": "score",
}


def summary_values(values: list[Value]) -> list[Value]:
    """The values a protocol table shows: each value at its main budget, PGD at its largest step count."""
    most_steps = {}
    for v in values:
        if v.matches("pgd_grid", attack="pgd"):
            eps = float(v.params["eps"])
            most_steps[eps] = max(most_steps.get(eps, 0), int(v.params["steps"]))
    keep = []
    for v in values:
        if (
            v.params.get("main", True) is not True
            or v.matches("pgd_grid", attack="fgsm")
            or v.matches("pgd_grid", attack="none")
        ):
            continue
        if (
            v.matches("pgd_grid", attack="pgd")
            and int(v.params["steps"]) != most_steps[float(v.params["eps"])]
        ):
            continue
        keep.append(v)
    return keep
