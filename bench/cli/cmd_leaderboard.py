"""``bench leaderboard``: regenerate the markdown leaderboards from the result files."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("leaderboard", help="regenerate leaderboards from result files",
                       description="Regenerate leaderboards/<dataset>-<threat>.md, one page per model "
                                   "(leaderboards/models/<id>.md) and an index, from the result files.")
    p.add_argument("--results", type=Path, metavar="DIR", help="result files (default leaderboards/results)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: the results folder's parent)")
    p.set_defaults(handler=run)


def write_leaderboards(results_dir: Path, out: Path) -> list[Path]:
    """Render every page and write it atomically; stale generated pages are removed."""
    from bench.errors import MissingFileError
    from bench.leaderboard import GENERATED_MARK, render_leaderboards
    from bench.results import read_results
    from bench.leaderboard.figures import figures_for
    from bench.results.store import write_bytes_atomic, write_text_atomic

    if not results_dir.is_dir():
        raise MissingFileError(f"No result files: {results_dir} does not exist. Run `bench evaluate` first.")
    results = read_results(results_dir)
    figures = figures_for(results, results_dir)
    pages = render_leaderboards(results, figures)
    written = [write_text_atomic(out / rel, text) for rel, text in sorted(pages.items())]
    written += [write_bytes_atomic(out / rel, png) for rel, png in sorted(figures.items())]
    for old in list(out.glob("*.md")) + list(out.glob("models/*.md")) + list(out.glob("models/*.png")):
        generated = old.suffix == ".png" or old.read_text(encoding="utf-8").startswith(GENERATED_MARK)
        if old not in written and generated:
            old.unlink()
    return written


def run(args: argparse.Namespace) -> int:
    from bench.cli.output import stdout
    from bench.results.store import DEFAULT_RESULTS_DIR

    results_dir = args.results or DEFAULT_RESULTS_DIR
    out = args.out or results_dir.parent
    written = write_leaderboards(results_dir, out)
    stdout.print(f"Wrote {len(written)} pages under {out}.")
    return 0
