"""A model's markdown page: its entry, flags, figures, per-class Gini and every value it has.

The facts, figure sections and per-class Gini rows are also what the model's HTML page shows
(:mod:`bench.leaderboard.html_model_page`). Torch-free.
"""

from __future__ import annotations

from collections.abc import Iterable

from bench.leaderboard import markdown
from bench.leaderboard.columns import cell, label
from bench.leaderboard.markdown import GENERATED_MARK
from bench.results import Result
from bench.results.values import Value
from bench.spec import format_eps
from bench.zoo.robustbench_info import robustbench_record

FIGURE_SECTIONS = {
    "accuracy-vs-eps": "Accuracy against ε",
    "attribution": "Attribution maps, raw and with ±3σ clipping (paper 000, A.2)",
    "corrupted": "Corrupted examples and predictions (paper 000, Fig. 4)",
    "noise-vs-k": "Error rate against the number of noised sub-pixels (paper 000, Fig. 3)",
    "occlusion-vs-radius": "Occlusion success against the largest patch radius (paper 000, A.10; "
    "radius-outer protocols)",
    "interpretation": "Clean and attacked interpretation maps (paper 001, attack against interpretability)",
}
"""Figure kind (``models/<id>-<protocol>-<kind>.png``) → the heading of its section, in page order."""


def figure_sections(
    model_id: str, results: list[Result], figures: Iterable[str]
) -> list[tuple[str, list[str]]]:
    """(heading, figure file names) for the figures that exist for this model, grouped by kind."""
    available, sections = set(figures), []
    for kind, heading in FIGURE_SECTIONS.items():
        names = [
            f"{model_id}-{p}-{kind}.png" for p in sorted({r.protocol["name"] for r in results})
        ]
        shown = [n for n in names if f"models/{n}" in available]
        if shown:
            sections.append((heading, shown))
    return sections


def entry_facts(results: list[Result]) -> dict[str, str]:
    """The entry's input size, training and architecture as the model pages state them."""
    entry = results[-1].model
    t = entry.training
    return {
        "input": "×".join(map(str, entry.preprocessing.input_size)),
        "training": t.method
        + ("" if t.threat_model == "none" else f", {t.threat_model} ε = {format_eps(t.eps)}"),
        "architecture": entry.architecture.name
        if entry.architecture
        else "built by " + entry.source.loader,
    }


def reported_text(value: Value, reported: float) -> str:
    """The figure the entry reports for ``value``, formatted like the value, without interval."""
    return cell(value.model_copy(update={"value": reported, "ci_low": None}), False)


def per_class_gini(results: list[Result]) -> tuple[list[tuple[Result, dict]], list[str]]:
    """Paper 000, A.7: (result, its per-class Gini record) per protocol that has one, by protocol
    name, and the classes they cover in class order."""
    rows = [
        (r, r.details["inequality"]["per_class"])
        for r in sorted(results, key=lambda r: r.protocol["name"])
        if isinstance(r.details.get("inequality", {}).get("per_class"), dict)
    ]
    classes = sorted(
        {c for _, pc in rows for c in pc.get("gini_global", {})},
        key=lambda c: int(c) if c.isdigit() else c,
    )
    return rows, classes


GINI_KINDS = {"gini_global": "Gini-g", "gini_regional": "Gini-r"}
"""The per-class Gini record's variants and their short names, in table order."""


def _entry_lines(results: list[Result]) -> list[str]:
    """The page's title, description and the entry's facts as a list."""
    entry, facts = results[-1].model, entry_facts(results)
    lines = [
        GENERATED_MARK,
        f"# {entry.id}\n",
        entry.description or "",
        "",
        f"- Data set: {entry.dataset} ({entry.num_classes} classes), input {facts['input']}",
        f"- Training: {facts['training']}",
        f"- Architecture: {facts['architecture']}",
        f"- Source: `{entry.source.loader}`",
    ]
    if entry.paper:
        lines.append(
            f"- Paper: [{entry.paper.title}]({entry.paper.url})"
            if entry.paper.url
            else f"- Paper: {entry.paper.title}"
        )
    return lines


def _flag_lines(results: list[Result]) -> list[str]:
    """The sanity-check flags section, one line per flag of any result (nothing without flags)."""
    flagged = [(r.protocol["name"], f) for r in results for f in r.flags]
    if not flagged:
        return []
    return ["", "## Sanity-check flags", ""] + [f"- `{p}`: {f}" for p, f in flagged]


def _figure_lines(model_id: str, results: list[Result], figures: Iterable[str]) -> list[str]:
    """Markdown image links for the figures that exist for this model, one section per kind."""
    lines = []
    for heading, shown in figure_sections(model_id, results, figures):
        lines += ["", f"## {heading}", ""] + [f"![{n[len(model_id) + 1 : -4]}]({n})" for n in shown]
    return lines


def _per_class_gini_lines(results: list[Result]) -> list[str]:
    """Paper 000, A.7: mean Gini per class, one row per protocol with an inequality result."""
    rows, classes = per_class_gini(results)
    if not rows:
        return []
    lines = [
        "",
        "## Gini per class (paper 000, A.7)",
        "",
        "| Protocol | Gini | " + " | ".join(f"class {c}" for c in classes) + " |",
        "|---|---|" + "---|" * len(classes),
    ]
    for r, pc in rows:
        for kind, name in GINI_KINDS.items():
            cells = [f"{pc[kind][c]:.3f}" if c in pc.get(kind, {}) else "-" for c in classes]
            lines.append(f"| `{r.protocol['name']}` | {name} | " + " | ".join(cells) + " |")
    return lines


def _results_lines(results: list[Result]) -> list[str]:
    """The Results table: every value of every result, its interval and the entry's reported figure."""
    reported = results[-1].model.reported
    rows = [
        [
            f"`{r.protocol['name']}`",
            f"`{r.protocol_digest}`",
            label(v),
            cell(v),
            reported_text(v, reported[v.name]) if reported.get(v.name) is not None else "-",
            str(v.n),
            r.provenance.device,
            r.provenance.finished_at[:10],
        ]
        for r in sorted(results, key=lambda r: (r.protocol["name"], r.protocol_digest))
        for v in r.values
    ]
    head = [
        "Protocol",
        "Digest",
        "Value",
        "Value [95% interval]",
        "Reported",
        "n",
        "Device",
        "Date",
    ]
    return ["", "## Results", "", *markdown.table(head, rows)]


def render_model_page(model_id: str, results: list[Result], figures: Iterable[str] = ()) -> str:
    """The markdown page of one model: entry, flags, figures, per-class Gini, every value."""
    values = [v for r in results for v in r.values]
    lines = [
        *_entry_lines(results),
        *robustbench_record(results[-1].model, values),  # RobustBench's own figures
        *_flag_lines(results),
        *_figure_lines(model_id, results, figures),
        *_per_class_gini_lines(results),
        *_results_lines(results),
    ]
    return "\n".join(lines) + "\n"
