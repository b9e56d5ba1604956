"""What a model's HTML page shows: its facts, its RobustBench record, its per-class Gini and values.

The same facts, figures and tables as its markdown page (:mod:`bench.leaderboard.model_page`),
as template fields and sortable :class:`~bench.leaderboard.html_tables.Table` s. Links that come
from entries or RobustBench are kept only when they are http(s). Torch-free.
"""

from __future__ import annotations

from bench.leaderboard.columns import cell, label
from bench.leaderboard.html_tables import Cell, Header, Table, number_key, text_cell, value_cell
from bench.leaderboard.model_page import GINI_KINDS, entry_facts, per_class_gini, reported_text
from bench.results import Result
from bench.results.values import Value


def _web_link(url) -> str | None:
    """``url`` if it is an http(s) address, else None (the page links nothing else)."""
    return url if str(url or "").startswith(("https://", "http://")) else None


def model_facts(results: list[Result]) -> dict:
    """The page's facts about the entry: id, description, data set, training, source, paper, flags."""
    entry = results[-1].model
    paper = entry.paper
    return {
        "id": entry.id,
        "description": entry.description or "",
        "dataset": entry.dataset,
        "num_classes": entry.num_classes,
        **entry_facts(results),
        "source": entry.source.loader,
        "paper": paper.title if paper else None,
        "paper_url": _web_link(paper.url) if paper else None,
        "flags": [(r.protocol["name"], f) for r in results for f in r.flags],
    }


def robustbench_view(results: list[Result]) -> dict | None:
    """A ``robustbench`` entry's record in RobustBench's ``model_info`` beside bench's values (as on the
    markdown page, :func:`bench.zoo.robustbench_info.robustbench_record`); None for other entries."""
    from bench.zoo.robustbench_info import model_info, reported_values, source_commit

    src = results[-1].model.source
    info = (
        model_info(src.dataset, src.threat_model, src.name) if src.loader == "robustbench" else None
    )
    if info is None:
        return None
    ours = {v.name: v for r in results for v in r.values}
    return {
        "file": f"model_info/{src.dataset}/{src.threat_model}/{src.name}.json",
        "commit": source_commit()[:7],
        "name": info["name"],
        "link": _web_link(info.get("link")),
        "authors": info["authors"],
        "venue": info["venue"],
        "architecture": info["architecture"],
        "extra": "yes" if info["additional_data"] else "no",
        "rows": [
            (
                name,
                f"{100 * figure:.2f}",
                f"{cell(ours[name])} (n = {ours[name].n})" if name in ours else "-",
            )
            for name, figure in reported_values(info).items()
        ],
    }


RESULTS_HEADERS = [
    Header("Protocol", "text"),
    Header("Digest", "text"),
    Header("Value", "text"),
    Header("Value [95% interval]"),
    Header("Reported"),
    Header("n"),
    Header("Device", "text"),
    Header("Date", "text"),
]


def _value_cells(result: Result, value: Value, reported: float | None) -> list[Cell]:
    """A Results row: the protocol, its digest, the value, its interval, the reported figure, when."""
    return [
        text_cell(result.protocol["name"]),
        text_cell(result.protocol_digest),
        text_cell(label(value)),
        value_cell(value),
        Cell(reported_text(value, reported), number_key(reported))
        if reported is not None
        else Cell("-"),
        Cell(str(value.n), number_key(value.n)),
        text_cell(result.provenance.device),
        Cell(result.provenance.finished_at[:10], result.provenance.finished_at),
    ]


def model_results_table(results: list[Result]) -> Table:
    """A model page's table: every value of every result with its interval and its reported figure."""
    entry = results[-1].model
    rows = [
        (entry.id, _value_cells(r, v, entry.reported.get(v.name)))
        for r in sorted(results, key=lambda r: (r.protocol["name"], r.protocol_digest))
        for v in r.values
    ]
    return Table(f"results-{entry.id}", entry.dataset, "", {}, list(RESULTS_HEADERS), rows)


def per_class_gini_table(results: list[Result]) -> Table | None:
    """Paper 000, A.7: mean Gini per class, one row per (protocol, Gini variant), as on the markdown page."""
    rows, classes = per_class_gini(results)
    if not rows:
        return None
    headers = [
        Header("Protocol", "text"),
        Header("Gini", "text"),
        *(Header(f"class {c}", higher_is_better=False) for c in classes),
    ]
    table_rows = []
    for r, pc in rows:
        for kind, name in GINI_KINDS.items():
            per_class = pc.get(kind, {})
            cells = [
                Cell(f"{per_class[c]:.3f}", number_key(per_class[c]))
                if c in per_class
                else Cell("-")
                for c in classes
            ]
            table_rows.append(
                (r.model.id, [text_cell(r.protocol["name"]), text_cell(name), *cells])
            )
    entry = results[-1].model
    return Table(f"gini-per-class-{entry.id}", entry.dataset, "", {}, headers, table_rows)
