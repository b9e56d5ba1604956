"""A markdown board (one per data set and threat model) and the index of boards.

A board opens with the battery table (one row per model, ranked by AutoAttack), then one
table per other protocol, ranked by its headline value (:mod:`bench.leaderboard.ranking`).
Numbers are formatted by :mod:`bench.leaderboard.columns` only. Torch-free.
"""

from __future__ import annotations

from bench.leaderboard import markdown
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
from bench.leaderboard.markdown import GENERATED_MARK
from bench.leaderboard.ranking import (
    BATTERY_RANK,
    battery_ranked,
    headline,
    is_battery,
    protocol_groups,
    ranked,
)
from bench.results import Result
from bench.results.values import Value
from bench.spec import format_eps


def protocol_heading(result: Result, rank: Value | None) -> str:
    """A table's heading: the resolved protocol, the images it chose, its threat model and ranking."""
    p = result.protocol
    sel = p["selection"]
    n = sel["n"] if sel["n"] is not None else "all"
    chosen = f"{sel['strategy']} {n}" + (
        ", correctly classified only" if sel["only_correct"] else ""
    )
    ranking = (
        f"Ranked by {label(rank)} ({'highest' if rank.higher_is_better else 'lowest'} first). "
        if rank is not None
        else ""
    )
    return (
        f"### Protocol `{p['name']}` v{p['version']} (digest `{result.protocol_digest}`)\n\n"
        f"{p['description']}  \nImages: {chosen} (seed {sel['seed']}); "
        f"threat model {p['threat_model']}, ε = {format_eps(p['eps'])}. {ranking}"
        "Cells: value [95% interval] (exact binomial for shares, bootstrap over images for means).\n"
    )


def _row(rank: int, result: Result, values: list[str]) -> list[str]:
    """A board row: rank, model link, training, the table's value cells, image count, flags."""
    return [
        str(rank),
        f"[{result.model.id}](models/{result.model.id}.md)",
        training(result),
        *values,
        str(len(result.provenance.sample_ids)),
        f"⚠ {len(result.flags)}" if result.flags else "",
    ]


def protocol_table(results: list[Result], headlines: dict[str, str] | None) -> str:
    """A protocol's table: every summary value as a column, ranked by the headline."""
    columns: dict[str, None] = {}
    for r in results:
        columns.update({label(v): None for v in summary_values(r.values)})
    rows = []
    for rank, r in enumerate(ranked(results, headlines), 1):
        by_label = {label(v): v for v in summary_values(r.values)}
        rows.append(_row(rank, r, [cell(by_label.get(c)) for c in columns]))
    head = ["Rank", "Model", "Training", *columns, "n", "Flags"]
    return "\n".join(markdown.table(head, rows)) + "\n"


def battery_table(results: list[Result]) -> str:
    """The battery table: one row per model, the fixed columns, ranked by AutoAttack accuracy."""
    headers = [c.header(BATTERY_UNITS.get(c.label, "share")) for c in BATTERY_COLUMNS]
    rows = [
        _row(
            rank,
            r,
            [
                cell(c.pick(r.values)) if c.pick(r.values) is not None else missing(r, c.metric)
                for c in BATTERY_COLUMNS
            ],
        )
        for rank, r in enumerate(battery_ranked(results), 1)
    ]
    head = ["Rank", "Model", "Training", *headers, "n", "Flags"]
    return "\n".join(markdown.table(head, rows)) + "\n"


def _table_section(group: list[Result], headlines: dict[str, str] | None) -> list[str]:
    """One protocol's part of a board: the battery section with its skip notes, or heading and table."""
    first = group[0]
    if is_battery(first):
        return [
            "## Battery\n",
            protocol_heading(first, BATTERY_RANK.pick(first.values)),
            battery_table(group),
            "".join(f"† {reason}\n" for reason in skip_reasons(group)),
        ]
    return [protocol_heading(first, headline(first, headlines)), protocol_table(group, headlines)]


def render_board(name: str, results: list[Result], headlines: dict[str, str] | None = None) -> str:
    """The markdown of one board: battery tables first, then one table per resolved protocol."""
    parts = [
        GENERATED_MARK,
        f"# Leaderboard: {name}\n",
        "Each table holds results of one resolved protocol; only results with the same protocol "
        "digest are comparable. ↑: higher is better, ↓: lower is better.\n",
    ]
    for group in protocol_groups(results):
        parts += _table_section(group, headlines)
    return "\n".join(parts)


def render_index(boards: dict[str, list[Result]]) -> str:
    """The markdown index: one row per board with its model count and protocols."""
    rows = [
        [
            f"[{name}]({name}.md)",
            str(len({r.model.id for r in boards[name]})),
            ", ".join(sorted({f"`{r.protocol['name']}`" for r in boards[name]})),
        ]
        for name in sorted(boards)
    ]
    lines = [
        GENERATED_MARK,
        "# Leaderboards\n",
        *markdown.table(["Board", "Models", "Protocols"], rows),
    ]
    return "\n".join(lines) + "\n"
