"""``bench leaderboard``: regenerate the markdown leaderboards from the result files."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.cli.options import add_results_input
from bench.leaderboard.write import (
    load_results,
    write_leaderboards,
    write_site,
)


def add_parser(sub) -> None:
    """Register ``bench leaderboard`` and its options (--results, --out, --format, --html, ...)."""
    p = sub.add_parser(
        "leaderboard",
        help="regenerate leaderboards from result files",
        description="Regenerate leaderboards/<dataset>-<threat>.md, one page per model "
        "(leaderboards/models/<id>.md) and an index, from the result files. "
        "With --html DIR, write a static web site instead (no markdown); with "
        "--format csv|json, the long table of values.",
        epilog="Examples: bench leaderboard  |  bench leaderboard --html site/ && "
        "python -m http.server -d site/  |  bench leaderboard --format csv --out values.csv",
    )
    add_results_input(p)
    p.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="output folder (default: the results folder's parent); "
        "with --format csv|json, a file (default: stdout)",
    )
    _add_format_options(p)
    p.add_argument(
        "--json",
        action="store_true",
        help='print what was written as JSON on stdout ({"format", "out", "written", "removed"}); '
        "--format json without --out prints the table itself",
    )
    p.set_defaults(handler=run)


def _add_format_options(p: argparse.ArgumentParser) -> None:
    """What is written: the markdown boards (default), the long table (csv / json) or the web site."""
    p.add_argument(
        "--format",
        choices=("md", "csv", "json"),
        default="md",
        help="md: the markdown boards and model pages (default); csv / json: one row per model, "
        "protocol and value, with its interval and parameters as columns (for notebooks)",
    )
    p.add_argument(
        "--html",
        type=Path,
        metavar="DIR",
        help="write a static HTML site into DIR instead of the markdown: index.html with every battery "
        "table (sortable by any column, filterable by data set and threat model), one page per "
        "board and per model (with its figures); self-contained, it loads nothing from elsewhere. "
        "Open DIR/index.html or serve DIR with any static web server",
    )


def run(args: argparse.Namespace) -> int:
    """Rewrite the markdown boards (or the HTML site, or the long table) from the results."""
    from bench.cli.checks import check_output_folder
    from bench.cli.output import print_json, stdout
    from bench.errors import BenchError
    from bench.results.store import DEFAULT_RESULTS_DIR

    results_dir = args.results or DEFAULT_RESULTS_DIR
    if args.html is not None:
        check_output_folder("--html", args.html)
    if args.html is not None and (args.format != "md" or args.out is not None):
        raise BenchError(
            "--html DIR writes the web site into DIR: leave out --format and --out (they are for "
            "the markdown boards and the long table), or run `bench leaderboard` once for each."
        )
    if args.format != "md":
        return export_table(results_dir, args.format, args.out, args.json)
    out, removed = (args.html if args.html is not None else args.out or results_dir.parent), []
    write = write_site if args.html is not None else write_leaderboards
    written = write(results_dir, out, removed)
    if args.json:
        print_json(
            {
                "format": "html" if args.html is not None else "md",
                "out": str(out),
                "written": [str(p.relative_to(out)) for p in written],
                "removed": [str(p.relative_to(out)) for p in removed],
            }
        )
    else:
        what = "files of the web site" if args.html is not None else "pages"
        stdout.print(
            f"Wrote {len(written)} {what} under {out}"
            + (f" (open {out / 'index.html'})." if args.html else "."),
            markup=False,
            highlight=False,
        )
    return 0


def export_table(results_dir: Path, fmt: str, out: Path | None, as_json: bool = False) -> int:
    """``--format csv|json``: the long value table on stdout, or written atomically to ``out``."""
    import sys

    from bench.cli.output import print_json, stdout
    from bench.errors import BenchError
    from bench.leaderboard.tables import export
    from bench.results.store import write_text_atomic

    if as_json and out is None and fmt == "csv":
        raise BenchError(
            "--json with --format csv: the CSV table goes to stdout; give --out FILE to write it "
            "and get the JSON report, or use --format json for the table as JSON."
        )
    text = export(load_results(results_dir), fmt)
    if out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(out, text)
        if as_json:
            print_json({"format": fmt, "out": str(out), "written": [str(out)], "removed": []})
        else:
            stdout.print(f"Wrote {out}.")
    return 0
