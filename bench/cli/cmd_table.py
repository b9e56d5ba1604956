"""``bench table``: a comparison table of chosen models under chosen protocols, from result files.

``--compare A B --protocol P --value NAME``: a paired comparison of two models on the same images
(difference of means, seeded bootstrap 95% interval, seeded permutation p-value; ``bench.stats``).
"""

from __future__ import annotations

import argparse
from pathlib import Path


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
    p.add_argument(
        "--json",
        action="store_true",
        help="print the tables (or the --compare comparison) as JSON "
        "on stdout: per protocol, one row per model with the "
        "table's value records",
    )
    p.add_argument(
        "--results", type=Path, metavar="DIR", help="result files (default leaderboards/results)"
    )
    p.add_argument(
        "--out", type=Path, metavar="FILE", help="write the markdown here instead of printing it"
    )
    p.set_defaults(handler=run)


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
    from bench.stats import compare_paired, per_image_values

    a, b = (_read(results_dir, model, args.protocol) for model in args.compare)
    _check_paired(a, b)
    labels = _labels(a) if "clean_accuracy" in args.value else None
    rows = {
        value: compare_paired(
            per_image_values(a.details, value, labels),
            per_image_values(b.details, value, labels),
            args.resamples,
            args.seed,
        )
        for value in args.value
    }
    if args.json:
        print_json(
            {
                "protocol": args.protocol,
                "protocol_digest": a.protocol_digest,
                "model_a": args.compare[0],
                "model_b": args.compare[1],
                "comparisons": {v: c.as_dict() for v, c in rows.items()},
            }
        )
        return 0
    _emit(render_paired(args.compare, args.protocol, a.protocol_digest, rows), args.out)
    return 0


def render_paired(models, protocol: str, digest: str, rows: dict) -> str:
    """A small markdown table: A, B, A − B, its 95% interval and p-value, images measured."""
    a, b = models
    n = next(iter(rows.values()))
    lines = [
        f"Paired comparison under `{protocol}` (digest `{digest}`), {n.n_images} images; "
        f"A = `{a}`, B = `{b}`; {n.n_resamples} bootstrap resamples and sign-flip permutations, "
        f"seed {n.seed}.",
        "",
        "| value | A | B | A − B | 95% interval | p | n measured (A / B) |",
        "|---|---|---|---|---|---|---|",
    ]
    for value, c in rows.items():
        lines.append(
            f"| {value} | {c.mean_a:.4f} | {c.mean_b:.4f} | {c.difference:+.4f} | "
            f"[{c.ci_low:+.4f}, {c.ci_high:+.4f}] | {_p_text(c)} | {c.n_measured_a} / {c.n_measured_b} |"
        )
    return "\n".join(lines) + "\n"


def _p_text(c) -> str:
    """The p-value; at its floor 1/(R + 1) (no permutation as extreme) it is shown as a bound."""
    return f"≤ {c.p_value:.1g}" if c.p_value * (c.n_resamples + 1) < 1.5 else f"{c.p_value:.2g}"


def _read(results_dir: Path, model: str, protocol: str):
    from bench.errors import MissingFileError
    from bench.results import read_result, result_path

    path = result_path(results_dir, model, protocol)
    if not path.is_file():
        raise MissingFileError(f"No result for {model} under {protocol}: {path} does not exist.")
    return read_result(path)


def _check_paired(a, b) -> None:
    """Two results are paired when their protocols are equal and they ran on the same images."""
    from bench.errors import BenchError

    if a.protocol_digest != b.protocol_digest:
        raise BenchError(
            f"{a.model.id} and {b.model.id} ran different versions of the protocol "
            f"(digests {a.protocol_digest} and {b.protocol_digest}); they are not comparable."
        )
    if a.provenance.sample_ids != b.provenance.sample_ids:
        raise BenchError(
            f"{a.model.id} and {b.model.id} were evaluated on different images; pass results "
            "of the same selection (same --n-examples and --seed)."
        )


def _labels(result):
    """The test labels of the result's images (result files store predictions, not labels)."""
    import numpy as np

    from bench.data.testsets import open_testset

    testset = open_testset(result.protocol["dataset"])
    positions = {image_id: i for i, image_id in enumerate(testset.ids)}
    return np.asarray(testset.labels)[[positions[i] for i in result.provenance.sample_ids]]


def _emit(text: str, out: Path | None) -> None:
    from bench.cli.output import stdout
    from bench.results.store import write_text_atomic

    if out:
        write_text_atomic(out, text)
        stdout.print(f"Wrote {out}.")
    else:
        print(text, end="")
