"""Which board a result is on, how a board's results group into tables, and in what order.

Shared by the markdown boards (:mod:`bench.leaderboard.board`) and the HTML site
(:mod:`bench.leaderboard.html_tables`), so both rank alike; a sort direction comes only from a
value record's ``higher_is_better``. Torch-free.
"""

from __future__ import annotations

from collections import defaultdict

from bench.leaderboard.columns import BATTERY_COLUMNS
from bench.results import Result
from bench.results.values import Value
from bench.spec import format_eps

BATTERY_RANK = BATTERY_COLUMNS[1]
"""The battery tables' ranking column: AutoAttack accuracy (RobustBench's convention)."""


def headline(result: Result, headlines: dict[str, str] | None = None) -> Value | None:
    """The value a protocol's table is ranked by: its declared ``rank_by`` (the shipped protocol's
    when given in ``headlines``), else its first value that is not clean accuracy."""
    name = (headlines or {}).get(result.protocol["name"]) or result.protocol.get("rank_by")
    if name:
        return result.value(name.replace("{eps}", format_eps(result.protocol.get("eps"))))
    return next(
        (v for v in result.values if v.metric != "clean_accuracy"),
        result.values[0] if result.values else None,
    )


def sort_key(value: Value | None, model_id: str):
    """Rank by the value in its direction; results without it (or with nothing measured) go last."""
    if value is None or value.value is None or value.value != value.value:
        return (1, 0.0, model_id)
    return (0, -value.value if value.higher_is_better else value.value, model_id)


def ranked(results: list[Result], headlines: dict[str, str] | None = None) -> list[Result]:
    """``results`` in board order: by each one's headline value, best first, ties by model id."""
    return sorted(results, key=lambda r: sort_key(headline(r, headlines), r.model.id))


def battery_ranked(results: list[Result]) -> list[Result]:
    """A battery table's ``results`` in board order: by AutoAttack accuracy, highest first."""
    return sorted(results, key=lambda r: sort_key(BATTERY_RANK.pick(r.values), r.model.id))


def is_battery(result: Result) -> bool:
    """Whether the result's protocol is a battery protocol."""
    return bool(result.protocol.get("battery"))


def board_name(result: Result) -> str:
    """The board a result belongs to: ``<dataset>-<threat_model>`` of its protocol."""
    return f"{result.protocol['dataset']}-{result.protocol['threat_model']}"


def by_board(results: list[Result]) -> dict[str, list[Result]]:
    """``results`` grouped by :func:`board_name`, in the order the boards first appear."""
    boards: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        boards[board_name(r)].append(r)
    return boards


def by_model(results: list[Result]) -> dict[str, list[Result]]:
    """``results`` grouped by model id, in the order the models first appear."""
    models: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        models[r.model.id].append(r)
    return models


def protocol_groups(results: list[Result]) -> list[list[Result]]:
    """A board's tables: one group per resolved protocol (name and digest), battery protocols first,
    then by protocol name and digest."""
    groups: dict[tuple, list[Result]] = defaultdict(list)
    for r in results:
        groups[(r.protocol["name"], r.protocol_digest)].append(r)
    return [groups[k] for k in sorted(groups, key=lambda k: (not is_battery(groups[k][0]), k))]
