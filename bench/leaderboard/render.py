"""Render result files as markdown: one board per (data set, threat model), one page per model.

Pure and torch-free: results in, ``{relative path: markdown}`` out. Numbers are formatted
here and only here (:mod:`bench.leaderboard.columns`); sort order comes from each value
record's ``higher_is_better`` (:mod:`bench.leaderboard.ranking`). The boards and their index
are :mod:`bench.leaderboard.board`, the model pages :mod:`bench.leaderboard.model_page`.
"""

from __future__ import annotations

from collections.abc import Iterable

from bench.leaderboard.board import render_board, render_index
from bench.leaderboard.markdown import GENERATED_MARK
from bench.leaderboard.model_page import FIGURE_SECTIONS, render_model_page
from bench.leaderboard.ranking import board_name, by_board, by_model, headline, is_battery, ranked
from bench.results import Result

__all__ = [
    "FIGURE_SECTIONS",
    "GENERATED_MARK",
    "board_name",
    "headline",
    "is_battery",
    "ranked",
    "render_board",
    "render_index",
    "render_leaderboards",
    "render_model_page",
]


def render_leaderboards(
    results: Iterable[Result], figures: Iterable[str] = (), headlines: dict[str, str] | None = None
) -> dict[str, str]:
    """All pages for a set of results: ``{"README.md", "<dataset>-<threat>.md", "models/<id>.md"}``.

    ``figures``: the figure files (``models/<id>-<protocol>-<kind>.png``) the model pages may link.
    ``headlines``: protocol name → the value its table is ranked by (the shipped protocols' ``rank_by``).
    """
    figures = set(figures)
    results = list(results)
    boards = by_board(results)
    pages = {f"{name}.md": render_board(name, rs, headlines) for name, rs in boards.items()}
    pages.update(
        {
            f"models/{mid}.md": render_model_page(mid, rs, figures)
            for mid, rs in by_model(results).items()
        }
    )
    pages["README.md"] = render_index(boards)
    return pages
