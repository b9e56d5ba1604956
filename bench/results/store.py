"""Reading and writing result files. Writes are atomic: a temp file in the same folder, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bench.errors import SpecError
from bench.results.schema import Result

DEFAULT_RESULTS_DIR = Path("leaderboards") / "results"


def result_path(results_dir: Path, model_id: str, protocol_name: str) -> Path:
    return Path(results_dir) / model_id / f"{protocol_name}.json"


def artifact_path(result_file: Path, metric: str, name: str) -> Path:
    """Where a metric's artifact lives beside its result: ``<model>/<protocol>.<metric>.<name>``."""
    return result_file.with_name(f"{result_file.stem}.{metric}.{name}")


def write_text_atomic(path: Path, text: str) -> Path:
    """Write so that a reader sees the old file or the new one, never half of one."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def _umask() -> int:
    """The process umask: from /proc on Linux, else by setting it and restoring it at once."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:")), 8)
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


def write_json_atomic(path: Path, obj: Any) -> Path:
    return write_text_atomic(path, json.dumps(obj, indent=1) + "\n")


def write_result(results_dir: Path, result: Result) -> Path:
    path = result_path(results_dir, result.model.id, result.protocol["name"])
    return write_json_atomic(path, result.model_dump(mode="json"))


def read_result(path: Path) -> Result:
    """A result file of either schema version; a version-1 file is upgraded in memory (see ``bench migrate``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("schema_version") == 1:
            from bench.results.migrate import upgrade_v1

            data = upgrade_v1(data, origin=str(path))
        return Result.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{path} is not a valid result file: {exc.error_count()} problems, first: "
                        f"{exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, OSError) as exc:
        raise SpecError(f"{path} is not a valid result file: {type(exc).__name__}: {exc}") from None


def read_results(results_dir: Path, skipped: list[str] | None = None) -> list[Result]:
    """Every result under ``results_dir`` (``<model>/<protocol>.json``), sorted by path.

    A run in progress (``<protocol>.partial.json``) is not a result. With a ``skipped`` list, a
    file that is not a valid result is left out and its message appended there; without, it raises.
    """
    paths = sorted(p for p in Path(results_dir).glob("*/*.json") if not p.name.endswith(".partial.json"))
    out = []
    for p in paths:
        try:
            out.append(read_result(p))
        except SpecError as exc:
            if skipped is None:
                raise
            skipped.append(str(exc))
    return out
