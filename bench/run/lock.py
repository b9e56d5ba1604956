"""One run per (model, protocol) at a time: a lock beside the result, and what a waiting run finds."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path

from bench.results import Result


@contextmanager
def unit_lock(final: Path):
    """Hold the (model, protocol) lock; yields whether another run held it first (and we waited)."""
    from filelock import FileLock, Timeout

    final.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(final.with_suffix(".lock")))
    waited = False
    try:
        lock.acquire(timeout=0)
    except Timeout:
        waited = True
        warnings.warn(
            f"Another run of {final.parent.name} / {final.stem} is in progress; waiting for it "
            f"({final.with_suffix('.lock')}).",
            stacklevel=3,
        )
        lock.acquire()
    try:
        yield waited
    finally:
        lock.release()


def same_result(final: Path, digest: str, sample_ids: list[str]) -> Result | None:
    """The result another run just wrote for the same resolved protocol and images, or None."""
    from bench.errors import SpecError
    from bench.results import read_result

    try:
        result = read_result(final) if final.is_file() else None
    except SpecError:
        return None
    if (
        result is not None
        and result.protocol_digest == digest
        and result.provenance.sample_ids == sample_ids
    ):
        return result
    return None
