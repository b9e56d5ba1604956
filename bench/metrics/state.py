"""A metric's state in ``ctx.state_dir``: where each file lies, how it is read back on resume.

A metric saves what it has finished (a batch's record, the flags after an attack) before it
starts the next piece, through :mod:`bench.atomic`, so an interrupted run leaves whole files
only. A file read back that cannot be this run's is discarded with a warning
(:func:`bench.metrics.base.discard_state`) and recomputed, never mixed in. The few examples a
model page shows are kept beside the state, in ``artifacts/examples.npz``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench.atomic import write_npz_atomic
from bench.metrics.base import RunContext, discard_state

T = TypeVar("T")


def batch_path(ctx: RunContext, number: int) -> Path:
    """The record file of batch ``number`` (0-based), named by its first image's position."""
    return ctx.state_dir / f"batch-{number * ctx.batch_size:07d}.npz"


def state_path(ctx: RunContext, name: str) -> Path | None:
    """The state file ``name`` of a run that keeps state, else None."""
    return ctx.state_dir / name if ctx.state_dir else None


def read_state(
    path: Path, load: Callable[[Path], T], errors: tuple[type[Exception], ...], unreadable: str
) -> T | None:
    """``load(path)``, or None when there is no file or ``load`` raises one of ``errors``.

    An unreadable file is discarded with the warning ``"<unreadable> (<error type>)"``.
    """
    if not path.is_file():
        return None
    try:
        return load(path)
    except errors as exc:
        discard_state(path, f"{unreadable} ({type(exc).__name__})")
        return None


def save_examples(ctx: RunContext, arrays: dict) -> None:
    """The model page's example images and maps (``artifacts/examples.npz``), written atomically."""
    write_npz_atomic(ctx.state_dir / "artifacts" / "examples.npz", arrays)
