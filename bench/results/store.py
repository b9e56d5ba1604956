"""Reading and writing result files. Writes are atomic (:mod:`bench.atomic`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bench.atomic import write_bytes_atomic, write_text_atomic  # noqa: F401  (re-exported)
from bench.errors import SpecError
from bench.results.schema import Result

DEFAULT_RESULTS_DIR = Path("leaderboards") / "results"


def result_path(results_dir: Path, model_id: str, protocol_name: str) -> Path:
    """Where the result of a model under a protocol lives: ``<results>/<model>/<protocol>.json``."""
    return Path(results_dir) / model_id / f"{protocol_name}.json"


def artifact_path(result_file: Path, metric: str, name: str) -> Path:
    """Where a metric's artifact lives beside its result: ``<model>/<protocol>.<metric>.<name>``."""
    return result_file.with_name(f"{result_file.stem}.{metric}.{name}")


def write_json_atomic(path: Path, obj: Any) -> Path:
    """``obj`` as indented JSON, written atomically."""
    return write_text_atomic(path, json.dumps(obj, indent=1) + "\n")


def write_result(results_dir: Path, result: Result) -> Path:
    """Write ``result`` atomically to its :func:`result_path`; return that path."""
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
        raise SpecError(
            f"{path} is not a valid result file: {exc.error_count()} problems, first: "
            f"{exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, OSError) as exc:
        raise SpecError(f"{path} is not a valid result file: {type(exc).__name__}: {exc}") from None


def read_results(results_dir: Path, skipped: list[str] | None = None) -> list[Result]:
    """Every result under ``results_dir`` (``<model>/<protocol>.json``), sorted by path.

    A run in progress (``<protocol>.partial.json``) is not a result. With a ``skipped`` list, a
    file that is not a valid result is left out and its message appended there; without, it raises.
    """
    paths = sorted(
        p for p in Path(results_dir).glob("*/*.json") if not p.name.endswith(".partial.json")
    )
    out = []
    for p in paths:
        try:
            out.append(read_result(p))
        except SpecError as exc:
            if skipped is None:
                raise
            skipped.append(str(exc))
    return out
