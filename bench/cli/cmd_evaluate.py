"""``bench evaluate``: run a protocol on one model or a sweep of them, and write their result files."""

from __future__ import annotations

import argparse
import sys

from bench.cli.options import add_run_options, add_zoo, check_run_options
from bench.cli.sweep import add_sweep_options, check_sweep_options, sweep

DESCRIPTION = (
    "Evaluate one registry model (or an entry YAML) under a protocol and "
    "write <results>/<model>/<protocol>.json. Without --protocol it runs the "
    "standardized battery of the model's data set and threat model: clean "
    "accuracy, AutoAttack with a PGD cross-check and masking flags, attribution "
    "Gini, inductive noise and occlusion (paper 000) and Kendall tau under the "
    "attack against interpretability (paper 001); every value comes with its "
    "direction, n and 95%% interval. An interrupted run resumes from its "
    "finished work when run again."
)
EXAMPLES = (
    "examples: bench evaluate --model cifar_smallgap_adv --n-examples 64   (battery, CPU scale)\n"
    "          bench evaluate --model resnet50_linf_eps8 --device cuda\n"
    "          bench evaluate --model cifar_smallgap_adv --protocol cifar10-pgd-paper001\n"
    "          bench evaluate --all --dataset mnist --n-examples 100   (a sweep, one model after another)\n"
    "          bench evaluate --tag paper001 --executor ray --address auto --shard-size 200   (on a Ray cluster)"
)


def add_parser(sub) -> None:
    """``bench evaluate``: one model, an entry YAML or a sweep (--models/--tag/--all), locally or on Ray."""
    p = sub.add_parser(
        "evaluate",
        help="evaluate one model or a sweep of models under a protocol",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_model_choice(p)
    add_zoo(p)
    add_run_options(p)
    add_sweep_options(p)
    p.set_defaults(handler=run)


def add_model_choice(p: argparse.ArgumentParser) -> None:
    """Which models: exactly one of --model, --models, --tag, --all, --entry; --dataset narrows."""
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--model", metavar="ID", help="registry id (see `bench list`)")
    who.add_argument(
        "--models",
        nargs="+",
        metavar="ID",
        help="several registry ids, evaluated one after another",
    )
    who.add_argument(
        "--tag", metavar="TAG", help="every registry model carrying this tag (see `bench list`)"
    )
    who.add_argument(
        "--all", action="store_true", help="every registry model (narrow it with --dataset)"
    )
    who.add_argument("--entry", metavar="FILE", help="an entry YAML file instead of a registry id")
    p.add_argument(
        "--dataset", metavar="NAME", help="with --tag / --all: only models of this data set"
    )


def evaluate_entry(entry, zoo, args: argparse.Namespace):
    """Resolve the protocol, run the battery with progress bars, print a summary; return the result."""
    from bench.battery import run_battery
    from bench.cli.output import print_json, progress_bars
    from bench.protocols import default_protocol, get_protocol
    from bench.results.store import DEFAULT_RESULTS_DIR
    from bench.zoo.loaders import check_entry_files

    check_run_options(args)
    # a missing local checkpoint is a user error now, not after the data set opens
    check_entry_files(entry)
    protocol = get_protocol(args.protocol or default_protocol(entry))
    protocol = protocol.resolve(entry.dataset, n_examples=args.n_examples, seed=args.seed)
    with progress_bars(enabled=not args.no_progress) as progress:  # on stderr: stdout stays JSON
        result = run_battery(
            entry,
            protocol,
            results_dir=args.results or DEFAULT_RESULTS_DIR,
            batch_size=args.batch_size,
            device=args.device,
            seed=protocol.selection.seed,
            zoo=zoo,
            data_dir=args.data_dir,
            progress=progress,
            command=sys.argv[1:],
            workers=getattr(args, "workers", 0),
        )
    if args.json:
        print_json(result.model_dump(mode="json"))
    else:
        print_summary(result)
    return result


def print_summary(result) -> None:
    """Every value with its interval, direction and n, as a table on stdout."""
    from rich.markup import escape
    from rich.table import Table

    from bench.cli.output import stdout
    from bench.leaderboard.columns import cell, label

    table = Table(title=f"{result.model.id} · {result.protocol['name']} ({result.protocol_digest})")
    for name, justify in (("value", "left"), ("result [95% interval]", "right"), ("n", "right")):
        table.add_column(name, justify=justify)
    for v in result.values:
        table.add_row(escape(label(v)), cell(v), str(v.n))
    stdout.print(table)
    for metric, detail in result.details.items():
        if isinstance(detail, dict) and detail.get("skipped"):
            stdout.print(f"{metric}: not measured ({detail['skipped']})", style="yellow")
    for flag in result.flags:
        stdout.print(f"⚠ {escape(flag)}", style="yellow")
    stdout.print(
        f"{len(result.provenance.sample_ids)} images on {result.provenance.device} in "
        f"{result.provenance.duration_s:.1f} s",
        style="dim",
    )


def selected_entries(zoo, args: argparse.Namespace) -> list:
    """The entries a command names: --model, --models, --tag or --all (with --dataset), in registry order."""
    from bench.errors import BenchError

    if args.model or args.models:
        return [
            zoo.get(i) for i in ([args.model] if args.model else list(dict.fromkeys(args.models)))
        ]
    entries = [
        e
        for e in zoo.entries.values()
        if (args.all or args.tag in e.tags) and (args.dataset is None or e.dataset == args.dataset)
    ]
    if not entries:
        what = f"tag {args.tag!r}" if args.tag else "the registry"
        raise BenchError(
            f"No model in {what}"
            + (f" for data set {args.dataset!r}" if args.dataset else "")
            + ". See `bench list`."
        )
    return entries


def run(args: argparse.Namespace) -> int:
    """Run the battery (or ``--protocol``) on every selected model and print each result or the sweep's summary."""
    from bench.errors import BenchError
    from bench.zoo.catalog import Zoo, read_entry
    from bench.zoo.loaders import check_entry_files

    check_run_options(args)
    check_sweep_options(args)
    zoo = Zoo.load(args.zoo)
    if args.dataset and not (args.tag or args.all):
        raise BenchError(
            "--dataset narrows --tag or --all; with --model/--models/--entry, leave it out."
        )
    entries = [read_entry(args.entry)] if args.entry else selected_entries(zoo, args)
    if args.json and len(entries) > 1:
        raise BenchError(
            "--json prints one result object: give a single --model, or leave --json out."
        )
    # a missing local checkpoint is a user error now, not after the data set opens
    for entry in entries:
        check_entry_files(entry)
    results = sweep(entries, args)
    if args.json:
        from bench.cli.output import print_json

        print_json(results[0].model_dump(mode="json"))
    else:
        for result in results:
            print_summary(result)
    return 0
