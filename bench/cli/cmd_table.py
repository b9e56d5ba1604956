"""``bench table``: a comparison table of chosen models under chosen protocols, from result files."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("table", help="compare models across protocols (markdown, from result files)",
                       description="Print (or write) one markdown table per protocol with the leaderboard's "
                                   "summary columns for the given models, in the order given. Reads result "
                                   "files only; run `bench evaluate` first.",
                       epilog="example: bench table --protocols cifar10-inequality-text cifar10-inequality-code "
                              "--models cifar_smallgap_normal cifar_smallgap_adv --out docs/results/x.md")
    p.add_argument("--protocols", nargs="+", required=True, metavar="P", help="protocol names")
    p.add_argument("--models", nargs="+", metavar="ID", help="model ids, as rows in this order (default: all)")
    p.add_argument("--results", type=Path, metavar="DIR", help="result files (default leaderboards/results)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the markdown here instead of printing it")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bench.cli.output import stdout
    from bench.errors import BenchError, MissingFileError
    from bench.leaderboard.render import render_comparison
    from bench.results import read_results
    from bench.results.store import DEFAULT_RESULTS_DIR, write_text_atomic

    results_dir = args.results or DEFAULT_RESULTS_DIR
    if not results_dir.is_dir():
        raise MissingFileError(f"No result files: {results_dir} does not exist. Run `bench evaluate` first.")
    results = read_results(results_dir)
    found = {r.protocol["name"] for r in results}
    missing = [p for p in args.protocols if p not in found]
    if missing:
        raise BenchError(f"No results for protocol(s) {', '.join(missing)} in {results_dir}.")
    if args.models:
        absent = sorted(set(args.models) - {r.model.id for r in results if r.protocol["name"] in args.protocols})
        if absent:
            raise BenchError(f"No results for model(s) {', '.join(absent)} under these protocols in {results_dir}.")
    text = render_comparison(results, args.protocols, args.models)
    if args.out:
        write_text_atomic(args.out, text)
        stdout.print(f"Wrote {args.out}.")
    else:
        print(text, end="")
    return 0
