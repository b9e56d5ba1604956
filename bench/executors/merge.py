"""Exact merges of a metric's shards, from their *per-image* records.

Every value and interval is built once over the union of the images — never by averaging shard
means:

- ``clean_accuracy``: the clean predictions, concatenated;
- ``pgd_grid``: each (ε, steps) robust flag and the zero-gradient flags, concatenated (with a
  random start only when shards hold whole batches: the start is drawn per batch);
- ``inequality``: the per-batch records the metric keeps for resuming (Gini, noise and occlusion
  outcome per image), read back in order and summarised by the metric itself, so per-class Gini,
  occlusion details and the example images are what one process would compute.

Every other metric (AutoAttack, the paper-001 measures, any new one) runs in the job's ``whole``
unit on all images at once: nothing is merged that has not been shown to merge exactly.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from bench.errors import BenchError


def _merge_clean(parts: list[dict], ctx, params) -> dict:
    predictions = [p for part in parts for p in part["detail"]["predictions"]]
    correct = sum(part["detail"]["correct"] for part in parts)
    return {
        "values": {"clean_accuracy": correct / len(predictions)},
        "detail": {"n": len(predictions), "correct": correct, "predictions": predictions},
    }


def _merge_pgd(parts: list[dict], ctx, params) -> dict:
    details = [part["detail"] for part in parts]
    flags = {
        name: [f for d in details for f in d["robust_flags"][name]]
        for name in details[0]["robust_flags"]
    }
    zero = [f for d in details for f in d["zero_gradient_flags"]]
    return {
        "values": {name: sum(ok) / len(ok) for name, ok in flags.items()},
        "detail": {
            "norm": details[0]["norm"],
            "robust_flags": flags,
            "zero_gradient_images": sum(zero),
            "zero_gradient_flags": zero,
        },
    }


def _merge_inequality(parts: list[dict], ctx, params) -> dict:
    from bench.metrics import METRICS
    from bench.metrics.inequality import load_record

    records = [
        load_record(path)
        for part in parts
        for path in sorted(part["state_dir"].glob("batch-*.npz"))
    ]
    got = np.concatenate([r.indices for r in records]) if records else np.zeros(0, dtype=np.int64)
    if not np.array_equal(got, ctx.indices):
        raise BenchError(
            f"The inequality records of {ctx.entry.id}'s shards do not cover its selected images "
            f"in order; remove {parts[0]['state_dir'].parent.parent} and run again."
        )
    ctx.state_dir.mkdir(parents=True, exist_ok=True)
    out = METRICS.get("inequality").summarize(ctx, params, records)
    return {"values": out.values, "detail": out.detail}


MERGERS = {"clean_accuracy": _merge_clean, "pgd_grid": _merge_pgd, "inequality": _merge_inequality}


def shard_refusal(name: str, params: dict, shard_size: int, batch_size: int) -> str | None:
    """Why metric ``name`` cannot be split into shards of ``shard_size`` exactly, or None when it can."""
    if name not in MERGERS:
        return "its per-image outcome depends on the other images of its batches, or no exact merge is known"
    if name == "pgd_grid" and params.get("random_start") and shard_size % batch_size:
        return f"its random start is drawn per batch: give a shard size that is a multiple of {batch_size}"
    return None


def merged_metrics(job, run) -> dict:
    """Metric name → values and detail over all selected images of ``run``, in the protocol's order."""
    units = {u.name: u for u in job.units()}
    parts = {name: _read_unit(u, run.testset.ids, run.indices) for name, u in units.items()}
    done = {}
    for name in job.protocol.metrics:
        if name in job.whole:
            done[name] = parts["whole"][name]
            continue
        ctx = replace(run, state_dir=job.units_dir / "merged.state" / name)
        shards = [
            dict(parts[u.name][name], state_dir=u.path(".state") / name)
            for u in units.values()
            if u.kind == "shard"
        ]
        done[name] = MERGERS[name](shards, ctx, job.protocol.params(name))
    return done


def _read_unit(unit, ids: list[str], indices) -> dict:
    """The finished metrics of ``unit``, checked against the sample ids of its slice."""
    path = unit.path(".partial.json")
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        metrics, got = state["metrics"], state["sample_ids"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BenchError(
            f"Unit {unit.key} has no finished state ({path}: {type(exc).__name__}); run the sweep "
            f"again to compute it (if {unit.job.final} holds a result of other images, remove it "
            "first)."
        ) from None
    expected = [ids[i] for i in indices[unit.start : unit.stop]]
    if (
        got != expected
        or state.get("protocol_digest") != unit.job.protocol.digest()
        or not set(unit.metrics) <= set(metrics)
    ):
        path.unlink(missing_ok=True)
        raise BenchError(
            f"Unit {unit.key} was measured on other images or another protocol; its state is "
            "removed: run the sweep again to recompute it."
        )
    return metrics
