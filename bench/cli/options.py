"""Command-line options that several sub-commands share: one spelling, one default, one help text.

Light on purpose (argparse and pathlib only), so that ``bench --help`` stays instant.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEVICE_HELP = "auto (CUDA when present; default), cpu, cuda, cuda:N or mps"
NO_PROGRESS_HELP = "no progress bars (they go to stderr)"
ZOO_HELP = "registry file (default: model_zoo.yaml; $BENCH_ZOO)"


def add_device(p, help: str = DEVICE_HELP) -> None:
    """``--device D``: where the models run (default ``auto``; checked by :mod:`bench.cli.checks`)."""
    p.add_argument("--device", default="auto", metavar="D", help=help)


def add_batch_size(p) -> None:
    """``--batch-size B``: images per forward pass (default 100)."""
    p.add_argument(
        "--batch-size",
        type=int,
        default=100,
        metavar="B",
        help="images per forward pass (default 100)",
    )


def add_no_progress(p, help: str = NO_PROGRESS_HELP) -> None:
    """``--no-progress``: no progress bars on stderr."""
    p.add_argument("--no-progress", action="store_true", help=help)


def add_results_input(p) -> None:
    """``--results DIR``: the result files a command works on (default leaderboards/results)."""
    p.add_argument(
        "--results", type=Path, metavar="DIR", help="result files (default leaderboards/results)"
    )


def add_zoo(p, help: str = ZOO_HELP) -> None:
    """``--zoo FILE``: the registry file (default model_zoo.yaml, or $BENCH_ZOO)."""
    p.add_argument("--zoo", metavar="FILE", help=help)


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``evaluate`` and ``submit``."""
    _add_protocol_options(p)
    add_batch_size(p)
    add_device(p, help="cpu, cuda, cuda:1, ... (default: CUDA if present)")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="S",
        help="seed for selection and attacks (default: the protocol's selection seed, 0 unless it sets one)",
    )
    p.add_argument("--json", action="store_true", help="print the result object as JSON on stdout")
    _add_run_files(p)
    add_no_progress(p, help="no progress bars (they go to stderr, also with --json)")


def _add_protocol_options(p: argparse.ArgumentParser) -> None:
    """``--protocol`` and ``--n-examples``: what a battery run measures, on how many images."""
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


def _add_run_files(p: argparse.ArgumentParser) -> None:
    """``--results``, ``--data-dir``, ``--workers``: where a battery run writes and reads files."""
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


def check_run_options(args: argparse.Namespace) -> None:
    """Refuse non-positive image counts, batch sizes and worker counts before any work."""
    from bench.errors import BenchError

    if args.n_examples is not None and args.n_examples <= 0:
        raise BenchError("--n-examples must be a positive number of images.")
    if args.batch_size <= 0:
        raise BenchError("--batch-size must be positive.")
    if getattr(args, "workers", 0) < 0:
        raise BenchError("--workers must be 0 or more DataLoader processes.")
