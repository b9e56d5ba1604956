"""The sweep of ``bench evaluate``: where its work units run (local or Ray), their checks, the run.

The planning, the executors and the merging of shards are :mod:`bench.executors`'; this module
turns the command line into their settings and reports failed units (docs/scale.md).
"""

from __future__ import annotations

import argparse
import sys


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
    _add_task_resources(g)
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


def _add_task_resources(g) -> None:
    """``--cpus-per-task`` and ``--gpus-per-task``: what Ray reserves for each unit."""
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


def sweep(entries: list, args: argparse.Namespace) -> list:
    """Plan each (model, protocol) into units, run them on the chosen executor, read the results back."""
    from bench.cli.output import stderr
    from bench.errors import BenchError
    from bench.executors import plan_sweep, run_sweep
    from bench.results import read_result

    jobs = plan_sweep(_resolved_pairs(entries, args), _run_settings(args), args.shard_size)
    for note in (n for job in jobs for n in job.notes):
        stderr.print(note, style="dim", highlight=False)
    failures = run_sweep(
        jobs, _executor(args), show_progress=not args.no_progress, fail_fast=len(jobs) == 1
    )
    if failures:
        raise BenchError(
            f"{len(failures)} unit(s) of the sweep failed; the others were written, and a rerun "
            "resumes:\n" + "\n".join(failures)
        )
    return [read_result(job.final) for job in jobs]


def _resolved_pairs(entries: list, args: argparse.Namespace) -> list:
    """Each entry with its protocol (``--protocol`` or its battery), resolved for its data set."""
    from bench.protocols import default_protocol, get_protocol

    return [
        (
            e,
            get_protocol(args.protocol or default_protocol(e)).resolve(
                e.dataset, n_examples=args.n_examples, seed=args.seed
            ),
        )
        for e in entries
    ]


def _run_settings(args: argparse.Namespace):
    """The settings every unit runs with, paths made absolute (workers may run in another folder)."""
    from bench.executors import RunSettings, absolute
    from bench.results.store import DEFAULT_RESULTS_DIR

    return absolute(
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


def _executor(args: argparse.Namespace):
    """The ``--executor`` with its placement options (workers stay quiet under ``--json``)."""
    from bench.executors import make_executor

    return make_executor(
        args.executor,
        address=args.address,
        cpus_per_task=args.cpus_per_task,
        gpus_per_task=args.gpus_per_task,
        max_retries=args.max_retries,
        quiet_workers=args.json,
    )
