"""The HTML site's tables as data: headers with their sort type and direction, cells with sort keys.

Built from the same value records and column definitions as the markdown boards
(:mod:`bench.leaderboard.columns`, the ranking of :mod:`bench.leaderboard.render`): the cell
text is :func:`~bench.leaderboard.columns.cell` (value and 95% interval), the sort key is the
record's number itself, so a browser sorts on values, never on the printed strings. Torch-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.leaderboard.columns import (
    BATTERY_COLUMNS,
    BATTERY_UNITS,
    cell,
    label,
    summary_values,
)
from bench.leaderboard.render import _missing, _sort_key, _training, headline, ranked
from bench.results import Result
from bench.results.values import Value
from bench.spec import format_eps


@dataclass(frozen=True)
class Header:
    """A column: ``kind`` "number" or "text"; ``higher_is_better`` sets the first click's direction."""

    label: str
    kind: str = "number"
    higher_is_better: bool | None = None
    sorted: str = "none"  # aria-sort of the order the table is written in


@dataclass(frozen=True)
class Cell:
    """``sort``: the number as text (empty: no value, always sorted last) or the text to sort by."""

    text: str
    sort: str = ""
    href: str | None = None


@dataclass(frozen=True)
class Table:
    """One protocol's table on one board."""

    key: str
    dataset: str
    threat_model: str
    protocol: dict
    headers: list[Header]
    rows: list[tuple[str, list[Cell]]]  # (model id, cells)
    notes: list[str] = field(default_factory=list)
    battery: bool = False


def number_key(x: float | None) -> str:
    """A sort key for a number: ``repr`` round-trips exactly; None and NaN sort last."""
    return "" if x is None or math.isnan(x) else repr(x)


def value_cell(value: Value | None, missing: str = "-") -> Cell:
    """A table cell holding a value's text and its numeric sort key (``missing`` if None)."""
    if value is None:
        return Cell(missing)
    return Cell(cell(value), number_key(value.value))


def _model_cells(rank: int, result: Result, models_href: str) -> list[Cell]:
    mid = result.model.id
    return [
        Cell(str(rank), number_key(rank)),
        Cell(mid, mid, f"{models_href}{mid}.html"),
        Cell(_training(result), _training(result)),
    ]


def _tail_cells(result: Result) -> list[Cell]:
    flags = len(result.flags)
    return [
        Cell(str(len(result.provenance.sample_ids)), number_key(len(result.provenance.sample_ids))),
        Cell(f"⚠ {flags}" if flags else "", number_key(flags)),
    ]


HEAD = [Header("Rank", higher_is_better=False), Header("Model", "text"), Header("Training", "text")]
TAIL = [Header("n"), Header("Flags", higher_is_better=False)]


def protocol_info(result: Result, rank: Value | None) -> dict:
    """What a table's heading says about its protocol (the markdown heading's facts, as fields)."""
    p, sel = result.protocol, result.protocol["selection"]
    n = sel["n"] if sel["n"] is not None else "all"
    return {
        "name": p["name"],
        "version": p["version"],
        "digest": result.protocol_digest,
        "description": p["description"],
        "threat_model": p["threat_model"],
        "eps": format_eps(p["eps"]),
        "images": f"{sel['strategy']} {n}"
        + (", correctly classified only" if sel["only_correct"] else ""),
        "seed": sel["seed"],
        "rank_by": label(rank) if rank is not None else None,
        "best_first": ("highest" if rank.higher_is_better else "lowest")
        if rank is not None
        else None,
    }


def battery_table(results: list[Result], models_href: str = "models/") -> Table:
    """The battery table: the fixed columns of :data:`BATTERY_COLUMNS`, ranked by AutoAttack."""
    first = results[0]
    columns = [
        Header(
            c.header(BATTERY_UNITS.get(c.label, "share")),
            higher_is_better=c.higher_is_better,
            sorted="descending" if i == 1 else "none",
        )
        for i, c in enumerate(BATTERY_COLUMNS)
    ]
    order = sorted(results, key=lambda r: _sort_key(BATTERY_COLUMNS[1].pick(r.values), r.model.id))
    rows = [
        (
            r.model.id,
            [
                *_model_cells(rank, r, models_href),
                *(value_cell(c.pick(r.values), _missing(r, c.metric)) for c in BATTERY_COLUMNS),
                *_tail_cells(r),
            ],
        )
        for rank, r in enumerate(order, 1)
    ]
    notes = sorted(
        {
            f"† {m}: {d['skipped']}"
            for r in results
            for m, d in r.details.items()
            if isinstance(d, dict) and d.get("skipped")
        }
    )
    return Table(
        _key(first),
        first.protocol["dataset"],
        first.protocol["threat_model"],
        protocol_info(first, BATTERY_COLUMNS[1].pick(first.values)),
        [*HEAD, *columns, *TAIL],
        rows,
        notes,
        battery=True,
    )


def protocol_table(
    results: list[Result], headlines: dict[str, str] | None = None, models_href: str = "models/"
) -> Table:
    """Any other protocol's table: every summary value as a column, ranked by the headline."""
    first, columns = results[0], {}
    for r in results:
        columns.update({label(v): v.higher_is_better for v in summary_values(r.values)})
    rank = headline(first, headlines)
    ranked_label = label(rank) if rank is not None else None
    headers = [
        Header(c, higher_is_better=hib, sorted="descending" if hib else "ascending")
        if c == ranked_label
        else Header(c, higher_is_better=hib)
        for c, hib in columns.items()
    ]
    rows = []
    for position, r in enumerate(ranked(results, headlines), 1):
        by_label = {label(v): v for v in summary_values(r.values)}
        rows.append(
            (
                r.model.id,
                [
                    *_model_cells(position, r, models_href),
                    *(value_cell(by_label.get(c)) for c in columns),
                    *_tail_cells(r),
                ],
            )
        )
    return Table(
        _key(first),
        first.protocol["dataset"],
        first.protocol["threat_model"],
        protocol_info(first, rank),
        [*HEAD, *headers, *TAIL],
        rows,
    )


def _key(result: Result) -> str:
    return f"{result.protocol['name']}-{result.protocol_digest}"


def model_results_table(results: list[Result]) -> Table:
    """A model page's table: every value of every result with its interval and its reported figure."""
    entry = results[-1].model
    headers = [
        Header("Protocol", "text"),
        Header("Digest", "text"),
        Header("Value", "text"),
        Header("Value [95% interval]"),
        Header("Reported"),
        Header("n"),
        Header("Device", "text"),
        Header("Date", "text"),
    ]
    rows = []
    for r in sorted(results, key=lambda r: (r.protocol["name"], r.protocol_digest)):
        for v in r.values:
            reported = entry.reported.get(v.name)
            rep = (
                Cell(
                    cell(v.model_copy(update={"value": reported, "ci_low": None}), False),
                    number_key(reported),
                )
                if reported is not None
                else Cell("-")
            )
            rows.append(
                (
                    entry.id,
                    [
                        Cell(r.protocol["name"], r.protocol["name"]),
                        Cell(r.protocol_digest, r.protocol_digest),
                        Cell(label(v), label(v)),
                        value_cell(v),
                        rep,
                        Cell(str(v.n), number_key(v.n)),
                        Cell(r.provenance.device, r.provenance.device),
                        Cell(r.provenance.finished_at[:10], r.provenance.finished_at),
                    ],
                )
            )
    return Table(f"results-{entry.id}", entry.dataset, "", {}, headers, rows)


def per_class_gini_table(results: list[Result]) -> Table | None:
    """Paper 000, A.7: mean Gini per class, one row per (protocol, Gini variant), as on the markdown page."""
    rows = [
        (r, r.details["inequality"]["per_class"])
        for r in sorted(results, key=lambda r: r.protocol["name"])
        if isinstance(r.details.get("inequality", {}).get("per_class"), dict)
    ]
    if not rows:
        return None
    classes = sorted(
        {c for _, pc in rows for c in pc.get("gini_global", {})},
        key=lambda c: int(c) if c.isdigit() else c,
    )
    headers = [
        Header("Protocol", "text"),
        Header("Gini", "text"),
        *(Header(f"class {c}", higher_is_better=False) for c in classes),
    ]
    table_rows = []
    for r, pc in rows:
        for kind in ("gini_global", "gini_regional"):
            per_class = pc.get(kind, {})
            cells = [
                Cell(f"{per_class[c]:.3f}", number_key(per_class[c]))
                if c in per_class
                else Cell("-")
                for c in classes
            ]
            name = kind.replace("gini_", "Gini-")[:6]
            table_rows.append(
                (
                    r.model.id,
                    [Cell(r.protocol["name"], r.protocol["name"]), Cell(name, name), *cells],
                )
            )
    entry = results[-1].model
    return Table(f"gini-per-class-{entry.id}", entry.dataset, "", {}, headers, table_rows)
