"""Per-batch records of the inequality battery on disk: saved before the next batch, read on resume.

A record that cannot be this batch's (unreadable, another batch size, another protocol's
values, wrong lengths) is discarded with a warning (or silently, for another batch size) and
recomputed, never mixed in.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch

from bench.atomic import write_npz_atomic
from bench.metrics.base import discard_state
from bench.metrics.inequality.batch import BatchRecord
from bench.metrics.state import read_state
from bench.params.inequality import (
    NOISE_MODES,
    InequalityParams,
    noise_value,
    occlusion_value,
)


def save_record(path, record: BatchRecord, examples: int) -> None:
    """Write one batch's record as ``.npz`` (with its first ``examples`` example images)."""
    arrays = {
        "indices": record.indices,
        "correct": record.correct,
        "gini_global": record.gini_global,
        "gini_regional": record.gini_regional,
    }
    arrays.update({f"noise/{k}": v for k, v in record.noise.items()})
    arrays.update(
        {f"occlusion/{k}/{f}": v for k, d in record.occlusion.items() for f, v in d.items()}
    )
    arrays.update({f"images/{k}": v[:examples].numpy() for k, v in record.images.items()})
    write_npz_atomic(path, arrays)


def load_record(path) -> BatchRecord:
    """The batch record saved at ``path`` (the inverse of :func:`save_record`)."""
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    occlusion: dict[str, dict[str, np.ndarray]] = {}
    for key, value in data.items():
        if key.startswith("occlusion/"):
            _, name, field = key.split("/")
            occlusion.setdefault(name, {})[field] = value
    return BatchRecord(
        data["indices"],
        data["correct"],
        data["gini_global"],
        data["gini_regional"],
        {k[6:]: v for k, v in data.items() if k.startswith("noise/")},
        occlusion,
        {k[7:]: torch.from_numpy(v) for k, v in data.items() if k.startswith("images/")},
    )


RECORD_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)
"""What reading a damaged or foreign ``.npz`` record raises."""


def resumed_record(path: Path, idx: np.ndarray, params: InequalityParams) -> BatchRecord | None:
    """A batch record an interrupted run saved for these images, or None (none, another batch size, unusable)."""
    record = read_state(path, load_record, RECORD_ERRORS, "unreadable batch record")
    if record is None or not np.array_equal(record.indices, idx):  # another --batch-size: recompute
        return None
    problem = _record_problem(record, params)
    if problem:
        discard_state(path, problem)
        return None
    return record


def _record_problem(record: BatchRecord, params: InequalityParams) -> str | None:
    """Why a loaded record cannot be this batch's (wrong lengths or missing values), or None."""
    n, n_correct = len(record.indices), int(np.asarray(record.correct, dtype=bool).sum())
    if any(len(a) != n for a in (record.correct, record.gini_global, record.gini_regional)):
        return "per-image arrays of the wrong length"
    wanted_noise = (
        {noise_value(m, k) for k in params.noise.k for m in NOISE_MODES} if params.noise else set()
    )
    wanted_occ = (
        {occlusion_value(c, b) for b in params.occlusion.budgets for c in params.occlusion.colors}
        if params.occlusion
        else set()
    )
    if n_correct and (set(record.noise) != wanted_noise or set(record.occlusion) != wanted_occ):
        return "values of another protocol"
    if any(set(d) != {"success", "count", "radius", "area"} for d in record.occlusion.values()):
        return "occlusion records with missing fields"
    lengths = [len(v) for v in record.noise.values()] + [
        len(f) for d in record.occlusion.values() for f in d.values()
    ]
    if any(length != n_correct for length in lengths):
        return "attack records of the wrong length"
    return None
