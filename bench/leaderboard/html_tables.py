"""The HTML site's tables as data: headers with their sort type and direction, cells with sort keys.

Built from the same value records and column definitions as the markdown boards
(:mod:`bench.leaderboard.columns`, the ranking of :mod:`bench.leaderboard.ranking`): the cell
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
    missing,
    skip_reasons,
    summary_values,
    training,
)
from bench.leaderboard.ranking import BATTERY_RANK, battery_ranked, headline, ranked
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


def text_cell(text: str) -> Cell:
    """A cell of text that sorts by its own text."""
    return Cell(text, text)


def _model_cells(rank: int, result: Result, models_href: str) -> list[Cell]:
    """A board row's first cells: rank, the model (linked to its page), its training."""
    mid = result.model.id
    return [
        Cell(str(rank), number_key(rank)),
        Cell(mid, mid, f"{models_href}{mid}.html"),
        text_cell(training(result)),
    ]


def _tail_cells(result: Result) -> list[Cell]:
    """A board row's last cells: the number of images and of sanity-check flags."""
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


def _battery_headers() -> list[Header]:
    """The battery columns' headers; the table is written ranked by AutoAttack, highest first."""
    return [
        Header(
            c.header(BATTERY_UNITS.get(c.label, "share")),
            higher_is_better=c.higher_is_better,
            sorted="descending" if c is BATTERY_RANK else "none",
        )
        for c in BATTERY_COLUMNS
    ]


def battery_table(results: list[Result], models_href: str = "models/") -> Table:
    """The battery table: the fixed columns of :data:`BATTERY_COLUMNS`, ranked by AutoAttack."""
    first = results[0]
    rows = [
        (
            r.model.id,
            [
                *_model_cells(rank, r, models_href),
                *(value_cell(c.pick(r.values), missing(r, c.metric)) for c in BATTERY_COLUMNS),
                *_tail_cells(r),
            ],
        )
        for rank, r in enumerate(battery_ranked(results), 1)
    ]
    return Table(
        _key(first),
        first.protocol["dataset"],
        first.protocol["threat_model"],
        protocol_info(first, BATTERY_RANK.pick(first.values)),
        [*HEAD, *_battery_headers(), *TAIL],
        rows,
        [f"† {reason}" for reason in skip_reasons(results)],
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
    """A table's key on its page: protocol name and digest."""
    return f"{result.protocol['name']}-{result.protocol_digest}"
