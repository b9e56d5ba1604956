"""``bench evaluate``: run a protocol on one model or a sweep of them, and write their result files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``evaluate`` and ``submit``."""
    p.add_argument(
        "--protocol",
        metavar="P",
        help="protocol name or YAML path (default: the battery of the "
        "model's data set and threat model, e.g. cifar10-battery-linf; "
        "see `bench protocols`)",
    )
    p.add_argument(
        "--n-examples", type=int, metavar="N", help="override the protocol's number of images"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=100,
        metavar="B",
        help="images per forward pass (default 100)",
    )
    p.add_argument(
        "--device",
        default="auto",
        metavar="D",
        help="cpu, cuda, cuda:1, ... (default: CUDA if present)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="seed for selection and attacks (default: the protocol's selection seed, 0 unless it sets one)",
    )
    p.add_argument("--json", action="store_true", help="print the result object as JSON on stdout")
    p.add_argument(
        "--results",
        type=Path,
        metavar="DIR",
        help="result files folder (default leaderboards/results)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="torchvision / ImageNet data folder (default: $BENCH_CACHE/data)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="W",
        help="DataLoader processes decoding image files (ImageNet folders; default 0: in the main process)",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bars (they go to stderr, also with --json)",
    )


def add_sweep_options(p: argparse.ArgumentParser) -> None:
    """Where a sweep's work units run (docs/scale.md)."""
    g = p.add_argument_group("executors (docs/scale.md)")
    g.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local: in this process, one unit after another (default); ray: Ray tasks",
    )
    g.add_argument(
        "--address",
        metavar="ADDR",
        help="join this Ray cluster (e.g. auto, 10.0.0.1:6379); "
        "default: start a local Ray instance with this machine's CPUs/GPUs",
    )
    g.add_argument(
        "--cpus-per-task",
        type=float,
        default=1,
        metavar="C",
        help="CPUs Ray reserves per unit (default 1)",
    )
    g.add_argument(
        "--gpus-per-task",
        type=float,
        default=None,
        metavar="G",
        help="GPUs Ray reserves per unit, may be a fraction (default: 1 when the cluster has GPUs, else 0)",
    )
    g.add_argument(
        "--shard-size",
        type=int,
        default=None,
        metavar="N",
        help="split each model's selected images into units of N images, merged into one result "
        "(default: one unit per model and protocol)",
    )
    g.add_argument(
        "--max-retries",
        type=int,
        default=3,
        metavar="R",
        help="times Ray reruns a unit whose worker died (default 3)",
    )


def add_parser(sub) -> None:
    """``bench evaluate``: one model, an entry YAML or a sweep (--models/--tag/--all), locally or on Ray."""
    p = sub.add_parser(
        "evaluate",
        help="evaluate one model or a sweep of models under a protocol",
        description="Evaluate one registry model (or an entry YAML) under a protocol and "
        "write <results>/<model>/<protocol>.json. Without --protocol it runs the "
        "standardized battery of the model's data set and threat model: clean "
        "accuracy, AutoAttack with a PGD cross-check and masking flags, attribution "
        "Gini, inductive noise and occlusion (paper 000) and Kendall tau under the "
        "attack against interpretability (paper 001); every value comes with its "
        "direction, n and 95%% interval. An interrupted run resumes from its "
        "finished work when run again.",
        epilog="examples: bench evaluate --model cifar_smallgap_adv --n-examples 64   (battery, CPU scale)\n"
        "          bench evaluate --model resnet50_linf_eps8 --device cuda\n"
        "          bench evaluate --model cifar_smallgap_adv --protocol cifar10-pgd-paper001\n"
        "          bench evaluate --all --dataset mnist --n-examples 100   (a sweep, one model after another)\n"
        "          bench evaluate --tag paper001 --executor ray --address auto --shard-size 200   (on a Ray cluster)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    p.add_argument(
        "--zoo", metavar="FILE", help="registry file (default: model_zoo.yaml; $BENCH_ZOO)"
    )
    add_run_options(p)
    add_sweep_options(p)
    p.set_defaults(handler=run)


def check_run_options(args: argparse.Namespace) -> None:
    """Refuse non-positive image counts, batch sizes and worker counts before any work."""
    from bench.errors import BenchError

    if args.n_examples is not None and args.n_examples <= 0:
        raise BenchError("--n-examples must be a positive number of images.")
    if args.batch_size <= 0:
        raise BenchError("--batch-size must be positive.")
    if getattr(args, "workers", 0) < 0:
        raise BenchError("--workers must be 0 or more DataLoader processes.")


def check_sweep_options(args: argparse.Namespace) -> None:
    """Refuse shard sizes, per-task resources and retry counts that cannot be scheduled."""
    from bench.errors import BenchError

    if args.shard_size is not None and args.shard_size <= 0:
        raise BenchError("--shard-size must be a positive number of images.")
    if args.cpus_per_task <= 0 or (args.gpus_per_task is not None and args.gpus_per_task < 0):
        raise BenchError("--cpus-per-task must be positive and --gpus-per-task 0 or more.")
    if args.max_retries < 0:
        raise BenchError("--max-retries must be 0 or more.")
    if args.executor == "local" and (args.address or args.gpus_per_task is not None):
        raise BenchError("--address and --gpus-per-task place Ray tasks: they need --executor ray.")


def default_protocol(entry) -> str:
    """The battery of the entry's data set and threat model (a standard model: the data set's usual
    threat model, L∞); the data set's default protocol where no battery is shipped for it."""
    from bench.protocols import battery_protocol_name, default_protocol_name

    threat = (
        entry.training.threat_model if entry.training.threat_model in ("Linf", "L2") else "Linf"
    )
    return (
        battery_protocol_name(entry.dataset, threat)
        or battery_protocol_name(entry.dataset, "Linf")
        or default_protocol_name(entry.dataset)
    )


def evaluate_entry(entry, zoo, args: argparse.Namespace):
    """Resolve the protocol, run the battery with progress bars, print a summary; return the result."""
    from bench.battery import run_battery
    from bench.cli.output import print_json, progress_bars
    from bench.protocols import get_protocol
    from bench.results.store import DEFAULT_RESULTS_DIR
    from bench.zoo.loaders import check_entry_files

    check_run_options(args)
    check_entry_files(
        entry
    )  # a missing local checkpoint is a user error now, not after the data set opens
    protocol = get_protocol(args.protocol or default_protocol(entry))
    protocol = protocol.resolve(entry.dataset, n_examples=args.n_examples, seed=args.seed)
    with progress_bars(
        enabled=not args.no_progress
    ) as progress:  # on stderr: stdout stays valid JSON
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
    for (
        entry
    ) in entries:  # a missing local checkpoint is a user error now, not after the data set opens
        check_entry_files(entry)
    results = sweep(entries, args)
    if args.json:
        from bench.cli.output import print_json

        print_json(results[0].model_dump(mode="json"))
    else:
        for result in results:
            print_summary(result)
    return 0


def sweep(entries: list, args: argparse.Namespace) -> list:
    """Plan each (model, protocol) into units, run them on the chosen executor, read the results back."""
    from bench.cli.output import stderr
    from bench.errors import BenchError
    from bench.executors import (
        RunSettings,
        absolute,
        make_executor,
        plan_sweep,
        run_sweep,
    )
    from bench.protocols import get_protocol
    from bench.results import read_result
    from bench.results.store import DEFAULT_RESULTS_DIR

    pairs = [
        (
            e,
            get_protocol(args.protocol or default_protocol(e)).resolve(
                e.dataset, n_examples=args.n_examples, seed=args.seed
            ),
        )
        for e in entries
    ]
    settings = absolute(
        RunSettings(
            results_dir=args.results or DEFAULT_RESULTS_DIR,
            batch_size=args.batch_size,
            device=args.device,
            data_dir=args.data_dir,
            zoo_path=args.zoo,
            workers=args.workers,
            command=tuple(sys.argv[1:]),
        )
    )
    jobs = plan_sweep(pairs, settings, args.shard_size)
    for note in (n for job in jobs for n in job.notes):
        stderr.print(note, style="dim", highlight=False)
    executor = make_executor(
        args.executor,
        address=args.address,
        cpus_per_task=args.cpus_per_task,
        gpus_per_task=args.gpus_per_task,
        max_retries=args.max_retries,
        quiet_workers=args.json,
    )
    failures = run_sweep(
        jobs, executor, show_progress=not args.no_progress, fail_fast=len(jobs) == 1
    )
    if failures:
        raise BenchError(
            f"{len(failures)} unit(s) of the sweep failed; the others were written, and a rerun "
            "resumes:\n" + "\n".join(failures)
        )
    return [read_result(job.final) for job in jobs]
