"""``bench table``: a comparison table of chosen models under chosen protocols, from result files.

``--compare A B --protocol P --value NAME``: a paired comparison of two models on the same images
(difference of means, seeded bootstrap 95% interval, seeded permutation p-value; ``bench.stats``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.cli.options import add_results_input


def add_parser(sub) -> None:
    """Register ``bench table`` and its options (--protocols, --models, --compare, ...)."""
    p = sub.add_parser(
        "table",
        help="compare models across protocols (markdown, from result files)",
        description="Print (or write) one markdown table per protocol with the leaderboard's "
        "summary columns for the given models, in the order given. Reads result "
        "files only; run `bench evaluate` first. With --compare A B, compare two "
        "models on the same images instead: for each --value, mean(A) − mean(B) "
        "with a paired bootstrap 95%% interval and a paired permutation p-value.",
        epilog="examples: bench table --protocols cifar10-inequality-text cifar10-inequality-code "
        "--models cifar_smallgap_normal cifar_smallgap_adv --out docs/results/x.md; "
        "bench table --compare cifar_cnn_a_adv4 cifar_cnn_a_adv --protocol "
        "cifar10-inequality-text --value gini_global gini_regional",
    )
    p.add_argument("--protocols", nargs="+", metavar="P", help="protocol names")
    p.add_argument(
        "--models", nargs="+", metavar="ID", help="model ids, as rows in this order (default: all)"
    )
    _add_compare_options(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="print the tables (or the --compare comparison) as JSON "
        "on stdout: per protocol, one row per model with the "
        "table's value records",
    )
    add_results_input(p)
    p.add_argument(
        "--out", type=Path, metavar="FILE", help="write the markdown here instead of printing it"
    )
    p.set_defaults(handler=run)


def _add_compare_options(p: argparse.ArgumentParser) -> None:
    """``--compare A B`` with the protocol, the values and the seeded resampling it compares by."""
    p.add_argument(
        "--compare", nargs=2, metavar=("A", "B"), help="two model ids to compare image by image"
    )
    p.add_argument("--protocol", metavar="P", help="with --compare: the protocol both results ran")
    p.add_argument(
        "--value", nargs="+", metavar="NAME", help="with --compare: metric values (result keys)"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="with --compare: seed of the bootstrap and permutations"
    )
    p.add_argument(
        "--resamples",
        type=int,
        default=10_000,
        help="with --compare: bootstrap resamples and permutations (default 10000)",
    )


def run(args: argparse.Namespace) -> int:
    """Print or write the comparison tables, or with ``--compare`` the paired comparison."""
    from bench.errors import BenchError, MissingFileError
    from bench.results.store import DEFAULT_RESULTS_DIR

    results_dir = args.results or DEFAULT_RESULTS_DIR
    if not results_dir.is_dir():
        raise MissingFileError(
            f"No result files: {results_dir} does not exist. Run `bench evaluate` first."
        )
    if args.compare:
        if not (args.protocol and args.value):
            raise BenchError("--compare A B needs --protocol P and --value NAME.")
        return run_compare(args, results_dir)
    if not args.protocols:
        raise BenchError(
            "Give --protocols P [P ...] (a table), or --compare A B --protocol P --value NAME."
        )
    return run_table(args, results_dir)


def run_table(args: argparse.Namespace, results_dir: Path) -> int:
    """The leaderboard's summary columns for the chosen models, one markdown table per protocol."""
    from bench.errors import BenchError
    from bench.leaderboard.comparison import render_comparison
    from bench.results import read_results

    results = read_results(results_dir)
    found = {r.protocol["name"] for r in results}
    missing = [p for p in args.protocols if p not in found]
    if missing:
        raise BenchError(f"No results for protocol(s) {', '.join(missing)} in {results_dir}.")
    if args.models:
        absent = sorted(
            set(args.models) - {r.model.id for r in results if r.protocol["name"] in args.protocols}
        )
        if absent:
            raise BenchError(
                f"No results for model(s) {', '.join(absent)} under these protocols in {results_dir}."
            )
    if args.json:
        from bench.cli.output import print_json

        print_json(comparison_data(results, args.protocols, args.models))
    else:
        _emit(render_comparison(results, args.protocols, args.models), args.out)
    return 0


def comparison_data(results, protocols: list[str], models: list[str] | None) -> dict:
    """``bench table --json``: the markdown table's rows as data, models in the order given, each with the
    value records the table shows (:func:`bench.leaderboard.columns.summary_values`) and their labels."""
    from bench.leaderboard.columns import label, summary_values

    tables = []
    for name in protocols:
        group = [
            r
            for r in results
            if r.protocol["name"] == name and (models is None or r.model.id in models)
        ]
        order = models or sorted({r.model.id for r in group})
        group.sort(
            key=lambda r: (
                order.index(r.model.id) if r.model.id in order else len(order),
                r.model.id,
            )
        )
        tables.append(
            {
                "protocol": name,
                "rows": [
                    {
                        "model": r.model.id,
                        "training": r.model.training.model_dump(mode="json"),
                        "protocol_digest": r.protocol_digest,
                        "n_images": len(r.provenance.sample_ids),
                        "values": [
                            {"label": label(v), **v.model_dump(mode="json")}
                            for v in summary_values(r.values)
                        ],
                    }
                    for r in group
                ],
            }
        )
    return {"tables": tables}


def run_compare(args: argparse.Namespace, results_dir: Path) -> int:
    """Paired comparison of two results of one protocol on the same images, one row per value."""
    from bench.cli.output import print_json
    from bench.cli.paired import compare_results, render_paired

    digest, rows = compare_results(
        results_dir, args.compare, args.protocol, args.value, args.resamples, args.seed
    )
    if args.json:
        print_json(
            {
                "protocol": args.protocol,
                "protocol_digest": digest,
                "model_a": args.compare[0],
                "model_b": args.compare[1],
                "comparisons": {v: c.as_dict() for v, c in rows.items()},
            }
        )
        return 0
    _emit(render_paired(args.compare, args.protocol, digest, rows), args.out)
    return 0


def _emit(text: str, out: Path | None) -> None:
    from bench.cli.output import stdout
    from bench.results.store import write_text_atomic

    if out:
        write_text_atomic(out, text)
        stdout.print(f"Wrote {out}.")
    else:
        print(text, end="")
