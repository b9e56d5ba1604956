"""Resuming an interrupted run: the finished metrics beside the result, and the mid-metric state.

Each finished metric is saved to a ``.partial.json`` beside the result, with the digest of the
resolved protocol and the sample ids it was measured on; mid-metric state lives in a ``.state``
folder beside it, where metrics also leave the artifacts to keep with the result.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.metrics.base import discard_state
from bench.protocols import Protocol
from bench.results import result_path, write_json_atomic
from bench.results.store import artifact_path
from bench.zoo.schema import ModelEntry


def partial_path(results_dir: Path, entry: ModelEntry, protocol: Protocol) -> Path:
    """Where a run of ``entry`` under ``protocol`` saves its finished metrics."""
    return result_path(results_dir, entry.id, protocol.name).with_suffix(".partial.json")


def load_partial(path: Path, state_dir: Path, digest: str, sample_ids: list[str]) -> dict:
    """Finished metrics of an earlier run of the same resolved protocol on the same images.

    Unreadable or malformed state is reported (a warning), discarded and recomputed; state of
    another protocol or other images is discarded silently, with the mid-metric state beside it.
    """
    state = {}
    if path.is_file():
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(state, dict) or not _well_formed(state.get("metrics", {})):
                raise ValueError("not a partial-result object")
        except (ValueError, UnicodeDecodeError) as exc:
            discard_state(path, f"unreadable ({exc})")
            state = {}
    if state.get("protocol_digest") == digest and state.get("sample_ids") == sample_ids:
        return state.get("metrics", {})
    shutil.rmtree(state_dir, ignore_errors=True)  # mid-metric state of another protocol
    return {}


def _well_formed(metrics) -> bool:
    """Each finished metric holds a values mapping of numbers and a detail mapping."""
    return isinstance(metrics, dict) and all(
        isinstance(m, dict)
        and isinstance(m.get("values"), dict)
        and isinstance(m.get("detail"), dict)
        and all(isinstance(v, (int, float)) for v in m["values"].values())
        for m in metrics.values()
    )


def save_partial(path: Path, digest: str, sample_ids: list[str], done: dict) -> None:
    """Save the finished metrics ``done`` (atomically), with what they were measured under."""
    write_json_atomic(path, {"protocol_digest": digest, "sample_ids": sample_ids, "metrics": done})


def keep_artifacts(state_dir: Path, result_file: Path, metrics) -> None:
    """Move files the metrics left in ``<state>/<metric>/artifacts/`` beside the result (old ones go)."""
    for old in [p for m in metrics for p in result_file.parent.glob(f"{result_file.stem}.{m}.*")]:
        old.unlink()
    for path in sorted(state_dir.glob("*/artifacts/*")):
        path.replace(artifact_path(result_file, path.parent.parent.name, path.name))


def retire_state(partial: Path, state_dir: Path, result_file: Path, metrics) -> None:
    """Once the result is written: keep the metrics' artifacts beside it, remove the run's state."""
    keep_artifacts(state_dir, result_file, metrics)
    partial.unlink(missing_ok=True)
    shutil.rmtree(state_dir, ignore_errors=True)
