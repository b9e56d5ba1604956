"""``bench leaderboard``: regenerate the markdown leaderboards from the result files."""

from __future__ import annotations

import argparse
import os
import zlib
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("leaderboard", help="regenerate leaderboards from result files",
                       description="Regenerate leaderboards/<dataset>-<threat>.md, one page per model "
                                   "(leaderboards/models/<id>.md) and an index, from the result files. "
                                   "With --html DIR, write a static web site instead (no markdown); with "
                                   "--format csv|json, the long table of values.",
                       epilog="Examples: bench leaderboard  |  bench leaderboard --html site/ && "
                              "python -m http.server -d site/  |  bench leaderboard --format csv --out values.csv")
    p.add_argument("--results", type=Path, metavar="DIR", help="result files (default leaderboards/results)")
    p.add_argument("--out", type=Path, metavar="PATH", help="output folder (default: the results folder's parent); "
                                                           "with --format csv|json, a file (default: stdout)")
    p.add_argument("--format", choices=("md", "csv", "json"), default="md",
                   help="md: the markdown boards and model pages (default); csv / json: one row per model, "
                        "protocol and value, with its interval and parameters as columns (for notebooks)")
    p.add_argument("--html", type=Path, metavar="DIR",
                   help="write a static HTML site into DIR instead of the markdown: index.html with every battery "
                        "table (sortable by any column, filterable by data set and threat model), one page per "
                        "board and per model (with its figures); self-contained, it loads nothing from elsewhere. "
                        "Open DIR/index.html or serve DIR with any static web server")
    p.add_argument("--json", action="store_true",
                   help="print what was written as JSON on stdout ({\"format\", \"out\", \"written\", \"removed\"}); "
                        "--format json without --out prints the table itself")
    p.set_defaults(handler=run)


def load_results(results_dir: Path) -> list:
    """Every readable result under ``results_dir``; each unreadable file is named in a warning and skipped."""
    from bench.cli.output import stderr
    from bench.errors import MissingFileError
    from bench.results import read_results

    if not results_dir.is_dir():
        raise MissingFileError(f"No result files: {results_dir} does not exist. Run `bench evaluate` first.")
    skipped: list[str] = []
    results = read_results(results_dir, skipped=skipped)
    for message in skipped:
        stderr.print(f"warning: skipped {message}", style="yellow", markup=False, highlight=False)
    return results


PNG_MARK = (b"Generated-by", b"bench leaderboard")  # a tEXt chunk: the PNG figures' generated mark
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_PNG_BYTES = 64 * 1024 * 1024


def write_leaderboards(results_dir: Path, out: Path, removed: list[Path] | None = None) -> list[Path]:
    """Render every markdown page and figure and write them atomically; stale generated files are removed
    (and appended to ``removed``).

    A file bench did not generate (no generated mark) is never replaced nor removed: if any
    page or figure would land on one, nothing is written and a BenchError names them.
    """
    from bench.leaderboard import render_leaderboards
    from bench.leaderboard.figures import figures_for
    from bench.protocols import shipped_headlines

    results = load_results(results_dir)  # raises when the folder is missing; skips bad files with a warning
    figures = figures_for(results, results_dir)
    pages = render_leaderboards(results, figures, shipped_headlines())
    files = {rel: text.encode("utf-8") for rel, text in pages.items()}
    files.update({rel: marked_png(png) for rel, png in figures.items()})
    return write_generated(out, files, ("*.md", "models/*.md", "models/*.png"), removed)


def write_site(results_dir: Path, out: Path, removed: list[Path] | None = None) -> list[Path]:
    """``--html``: the static site (:func:`bench.leaderboard.html.render_site`), written like the markdown."""
    from bench.leaderboard.figures import figures_for
    from bench.leaderboard.html import render_site
    from bench.protocols import shipped_headlines

    results = load_results(results_dir)
    files = render_site(results, figures_for(results, results_dir), shipped_headlines())
    files.update({rel: marked_png(data) for rel, data in files.items() if rel.endswith(".png")})
    return write_generated(out, files, ("*.html", "models/*.html", "models/*.png", "static/*"), removed)


def write_generated(out: Path, files: dict[str, bytes], stale: tuple[str, ...],
                    removed: list[Path] | None = None) -> list[Path]:
    """Write ``files`` under ``out`` atomically, then remove generated files matching ``stale`` not written."""
    from bench.results.store import write_bytes_atomic

    refuse_foreign_files(out, files)
    written = [write_bytes_atomic(out / rel, data) for rel, data in sorted(files.items())]
    for old in sorted(path for pattern in stale for path in out.glob(pattern)):
        if old not in written and is_generated(old):
            old.unlink()
            if removed is not None:
                removed.append(old)
    return written


def refuse_foreign_files(out: Path, relative_paths) -> None:
    """Raise BenchError if any of ``out/<rel>`` exists and was not generated by bench."""
    from bench.errors import BenchError

    foreign = [out / rel for rel in sorted(relative_paths) if os.path.lexists(out / rel) and not is_generated(out / rel)]
    if foreign:
        listed = ", ".join(str(p) for p in foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise BenchError(
            f"Refusing to overwrite {listed}: bench did not generate {'it' if len(foreign) == 1 else 'them'} "
            "(no generated mark). Nothing was written. Move the file(s) away, or write the leaderboard "
            "elsewhere (--out DIR or --html DIR for `bench leaderboard`, --leaderboards DIR for `bench submit`)."
        )


def is_generated(path: Path) -> bool:
    """True for a regular file that carries bench's generated mark (a page's first line, a figure's tEXt).

    Figures written before the mark existed (``models/*.png`` with no text chunk at all, as
    bench's matplotlib settings write them) count as generated too.
    """
    from bench.leaderboard import GENERATED_MARK
    from bench.leaderboard.html import ASSET_MARK, HTML_MARK

    if path.is_symlink() or not path.is_file():
        return False
    marks = {".md": GENERATED_MARK, ".html": HTML_MARK, ".css": ASSET_MARK, ".js": ASSET_MARK}
    if path.suffix in marks:
        mark = marks[path.suffix].encode("utf-8")
        with open(path, "rb") as f:
            return f.read(len(mark)) == mark
    if path.suffix == ".png" and path.stat().st_size <= _MAX_PNG_BYTES:
        texts = _png_texts(path.read_bytes())
        return texts is not None and (PNG_MARK in texts or (not texts and path.parent.name == "models"))
    return False


def marked_png(png: bytes) -> bytes:
    """``png`` with bench's generated mark as a tEXt chunk right after its IHDR chunk."""
    if not png.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG")
    ihdr_end = len(_PNG_SIGNATURE) + 8 + int.from_bytes(png[8:12], "big") + 4
    data = PNG_MARK[0] + b"\0" + PNG_MARK[1]
    chunk = len(data).to_bytes(4, "big") + b"tEXt" + data + zlib.crc32(b"tEXt" + data).to_bytes(4, "big")
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def _png_texts(png: bytes) -> list[tuple[bytes, bytes]] | None:
    """The (key, value) of every text chunk of a PNG; None when it is not a well-formed PNG."""
    if not png.startswith(_PNG_SIGNATURE):
        return None
    texts, at = [], len(_PNG_SIGNATURE)
    while at + 8 <= len(png):
        length, kind = int.from_bytes(png[at:at + 4], "big"), png[at + 4:at + 8]
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            key, _, value = png[at + 8:at + 8 + length].partition(b"\0")
            texts.append((key, value))
        if kind == b"IEND":
            return texts
        at += 12 + length
    return None


def run(args: argparse.Namespace) -> int:
    from bench.cli.checks import check_output_folder
    from bench.cli.output import print_json, stdout
    from bench.errors import BenchError
    from bench.results.store import DEFAULT_RESULTS_DIR

    results_dir = args.results or DEFAULT_RESULTS_DIR
    if args.html is not None:
        check_output_folder("--html", args.html)
    if args.html is not None and (args.format != "md" or args.out is not None):
        raise BenchError("--html DIR writes the web site into DIR: leave out --format and --out (they are for "
                         "the markdown boards and the long table), or run `bench leaderboard` once for each.")
    if args.format != "md":
        return export_table(results_dir, args.format, args.out, args.json)
    out, removed = (args.html if args.html is not None else args.out or results_dir.parent), []
    write = write_site if args.html is not None else write_leaderboards
    written = write(results_dir, out, removed)
    if args.json:
        print_json({"format": "html" if args.html is not None else "md", "out": str(out),
                    "written": [str(p.relative_to(out)) for p in written],
                    "removed": [str(p.relative_to(out)) for p in removed]})
    else:
        what = "files of the web site" if args.html is not None else "pages"
        stdout.print(f"Wrote {len(written)} {what} under {out}" + (f" (open {out / 'index.html'})." if args.html else "."),
                     markup=False, highlight=False)
    return 0


def export_table(results_dir: Path, fmt: str, out: Path | None, as_json: bool = False) -> int:
    """``--format csv|json``: the long value table on stdout, or written atomically to ``out``."""
    import sys

    from bench.cli.output import print_json, stdout
    from bench.errors import BenchError
    from bench.leaderboard.tables import export
    from bench.results.store import write_text_atomic

    if as_json and out is None and fmt == "csv":
        raise BenchError("--json with --format csv: the CSV table goes to stdout; give --out FILE to write it "
                         "and get the JSON report, or use --format json for the table as JSON.")
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
