"""Atomic file writes, used by results, training runs, boards and downloads alike.

A reader sees the old file or the new one, never half of one: the bytes go to a uniquely named
temp file in the same folder, are flushed to disk, and the temp file is renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write so that a reader sees the old file or the new one, never half of one."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def _umask() -> int:
    """The process umask: from /proc on Linux, else by setting it and restoring it at once."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:")), 8
        )
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0o022)
        os.umask(mask)
        return mask


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` through a uniquely named temp file and a rename.

    The file gets mode ``0666 & ~umask``, like any file ``open()`` creates (``mkstemp``'s
    temp file alone would leave it 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_npz_atomic(path: Path, arrays: dict, compressed: bool = True) -> Path:
    """NumPy arrays as one ``.npz`` file, written atomically (per-batch records, figure examples)."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return write_bytes_atomic(path, buffer.getvalue())
