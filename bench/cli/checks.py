"""Checks of command-line arguments, run before a sub-command does any work.

:func:`preflight` looks at the options a parsed command carries (``--device``, ``--seed``,
``--batch-size``, output folders and files, ...) and raises a :class:`~bench.errors.BenchError`
saying which option is wrong and why, so that a mistake is found in the first second, not
after an hour of evaluation, and nothing is written.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from pathlib import Path

from bench.errors import BenchError

MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit
MAX_COUNT = 10_000_000  # images, batch size, epochs: anything larger is a typo
_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda)(:(\d{1,3}))?$")

OUTPUT_FILE_COMMANDS = (
    "table",
    "transfer",
)  # their --out is a file; elsewhere a folder, unless --format exports
READ_RESULTS_COMMANDS = ("table", "leaderboard")  # their --results is read, not written


def preflight(args: argparse.Namespace) -> None:
    """Validate every generic option present on ``args``; raise BenchError on the first bad one."""
    if getattr(args, "device", None) is not None:
        check_device(args.device)
    for name in ("n_examples", "batch_size", "epochs"):
        check_count(f"--{name.replace('_', '-')}", getattr(args, name, None), minimum=1)
    check_count("--warmup-steps", getattr(args, "warmup_steps", None), minimum=0)
    check_seed(getattr(args, "seed", None))
    if getattr(args, "assets", None):
        check_input_folder("--assets", Path(args.assets))
    for name in ("data_dir", "results"):  # may be read-only: a data mirror, someone's results
        if getattr(args, name, None) is not None:
            check_not_a_file(f"--{name.replace('_', '-')}", getattr(args, name))
    if getattr(args, "results", None) is not None and args.command not in READ_RESULTS_COMMANDS:
        check_output_folder("--results", args.results)
    if getattr(args, "leaderboards", None) is not None:
        check_output_folder("--leaderboards", args.leaderboards)
    if getattr(args, "out", None) is not None:
        out_is_file = (
            args.command in OUTPUT_FILE_COMMANDS or getattr(args, "format", "md") != "md"
        )  # an export
        (check_output_file if out_is_file else check_output_folder)("--out", args.out)


def check_count(option: str, value: int | None, *, minimum: int) -> None:
    """An integer option within [minimum, MAX_COUNT] (None: not given)."""
    if value is not None and not minimum <= value <= MAX_COUNT:
        wanted = "a positive number" if minimum == 1 else f"{minimum} or more"
        raise BenchError(f"{option} must be {wanted} (at most {MAX_COUNT}), got {value}.")


def check_seed(seed: int | None) -> None:
    """``--seed`` within [0, MAX_SEED] (None: not given)."""
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise BenchError(f"--seed must be between 0 and {MAX_SEED}, got {seed}.")


def check_device(device: str) -> None:
    """``auto``, ``cpu``, ``cuda[:N]`` or ``mps``, and present on this machine."""
    match = _DEVICE_RE.match(device)
    if not match or (match.group(1) in ("auto", "cpu") and match.group(2)):
        raise BenchError(
            f"--device {device!r} is not a device: give auto, cpu, cuda, cuda:N or mps."
        )
    kind, index = match.group(1), int(match.group(3) or 0)
    if kind == "cuda":
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if index >= count:
            found = (
                f"{count} CUDA device(s) (cuda:0 to cuda:{count - 1})"
                if count
                else "no CUDA device"
            )
            raise BenchError(
                f"--device {device} is not on this machine: it has {found}. Use --device cpu or auto."
            )
    if kind == "mps":
        import torch

        if not torch.backends.mps.is_available():
            raise BenchError(
                "--device mps is not available on this machine. Use --device cpu or auto."
            )


def parse_eps_option(option: str, text: str, *, maximum: float = 1.0) -> float:
    """ε given on the command line (``8/255``, ``0.3``): a finite number in [0, maximum]."""
    from bench.spec import parse_eps

    try:
        value = parse_eps(text.strip())
        value = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        raise BenchError(
            f"{option} {text!r} is not a number: write it as 0.3 or as a fraction such as 8/255."
        ) from None
    if not math.isfinite(value) or not 0 <= value <= maximum:
        raise BenchError(
            f"{option} {text!r} is out of range: ε must be a finite number from 0 to {maximum:g} "
            "(images are in [0, 1])."
        )
    return value


def check_input_folder(option: str, path: Path) -> None:
    """An option naming a folder that must already exist."""
    if not path.exists():
        raise BenchError(f"{option} {path}: no such folder.")
    if not path.is_dir():
        raise BenchError(f"{option} {path} is not a folder.")


def check_not_a_file(option: str, path: Path) -> None:
    """An option naming a folder: it may be absent, but must not be a file."""
    if Path(path).exists() and not Path(path).is_dir():
        raise BenchError(f"{option} {path} is a file, not a folder.")


def check_output_folder(option: str, path: Path) -> None:
    """A folder bench may create or write into: an existing folder, or creatable under one."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BenchError(
            f"{option} {path} is a file, not a folder; give a folder (it is created if absent)."
        )
    _check_writable(option, path if path.is_dir() else _existing_ancestor(option, path))


def check_output_file(option: str, path: Path) -> None:
    """A file bench may write: not a folder, not a device, in a folder that exists or can be made."""
    path = Path(path)
    if path.is_dir():
        raise BenchError(f"{option} {path} is a folder; give the path of a file to write.")
    if path.exists() and not path.is_file():
        raise BenchError(
            f"{option} {path} is not a regular file (a device or a pipe); give a file path."
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise BenchError(f"{option} {path} is not writable.")
    _check_writable(
        option, path.parent if path.parent.is_dir() else _existing_ancestor(option, path.parent)
    )


def _existing_ancestor(option: str, path: Path) -> Path:
    """The nearest existing ancestor of a path to be created; it must be a folder."""
    for parent in Path(os.path.abspath(path)).parents:
        if parent.exists():
            if not parent.is_dir():
                raise BenchError(
                    f"{option} {path}: {parent} is a file, so no folder can be made below it."
                )
            return parent
    raise BenchError(
        f"{option} {path}: no part of that path exists."
    )  # pragma: no cover - '/' always exists


def _check_writable(option: str, folder: Path) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BenchError(
            f"{option}: cannot write into {folder} (permission denied); choose another folder."
        )
