"""Leaderboards: a pure function from result files to markdown pages (the CLI does the I/O)."""

from bench.leaderboard.render import GENERATED_MARK, render_leaderboards

__all__ = ["GENERATED_MARK", "render_leaderboards"]
