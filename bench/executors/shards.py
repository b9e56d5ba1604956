"""Running one work unit under its lease, and merging a job's shards into one result file.

A shard's metrics are merged from their *per-image* records, and every value and interval is
then built once over the union of the images — never by averaging shard means:

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
import shutil
import time

import numpy as np

from bench.errors import BenchError
from bench.executors.leases import (
    executions,
    finished,
    lease,
    log_executions,
    mark_execution,
)


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
    from bench.metrics.inequality import _load_record

    records = [
        _load_record(path)
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
    out = METRICS.get("inequality")._output(ctx, params, records)
    return {"values": out.values, "detail": out.detail}


MERGERS = {"clean_accuracy": _merge_clean, "pgd_grid": _merge_pgd, "inequality": _merge_inequality}


def shard_refusal(name: str, params: dict, shard_size: int, batch_size: int) -> str | None:
    """Why metric ``name`` cannot be split into shards of ``shard_size`` exactly, or None when it can."""
    if name not in MERGERS:
        return "its per-image outcome depends on the other images of its batches, or no exact merge is known"
    if name == "pgd_grid" and params.get("random_start") and shard_size % batch_size:
        return f"its random start is drawn per batch: give a shard size that is a multiple of {batch_size}"
    return None


def run_unit(unit, progress=None) -> dict:
    """Run ``unit`` under its lease unless an earlier execution finished it; a short summary."""
    from bench.battery import open_run, run_battery, run_metrics
    from bench.devices import resolve_device

    job, s = unit.job, unit.job.settings
    zoo = _zoo(s)
    if unit.kind == "battery":
        run_battery(
            job.entry,
            job.protocol,
            results_dir=s.results_dir,
            batch_size=s.batch_size,
            device=s.device,
            seed=job.protocol.selection.seed,
            zoo=zoo,
            data_dir=s.data_dir,
            progress=progress,
            command=list(s.command) if s.command else None,
            workers=s.workers,
        )
        return {"unit": unit.key, "status": "done"}
    if _job_done(job):
        return {"unit": unit.key, "status": "skipped"}
    with lease(unit):
        if finished(unit) or _job_done(
            job
        ):  # again under the lease: another driver may have merged meanwhile
            return {"unit": unit.key, "status": "skipped"}
        mark_execution(unit)
        import torch

        torch.manual_seed(job.protocol.selection.seed)
        dev = resolve_device(s.device)
        testset, model, indices = open_run(
            job.entry, job.protocol, dev, s.batch_size, zoo, s.data_dir, s.workers
        )
        run_metrics(
            model,
            job.entry,
            job.protocol,
            testset,
            indices[unit.start : unit.stop],
            s.batch_size,
            dev,
            job.protocol.selection.seed,
            progress,
            partial=unit.path(".partial.json"),
            state_dir=unit.path(".state"),
            names=list(unit.metrics),
        )
    return {"unit": unit.key, "status": "done"}


def _job_done(job) -> bool:
    """Has a merge already written this job's result (same protocol digest, as many images)?"""
    from bench.errors import SpecError
    from bench.results import read_result

    try:
        result = read_result(job.final) if job.final.is_file() else None
    except SpecError:
        return False
    return (
        result is not None
        and result.protocol_digest == job.protocol.digest()
        and len(result.provenance.sample_ids) == job.n_images
    )


def _zoo(settings):
    from bench.zoo.catalog import Zoo

    return Zoo.load(settings.zoo_path)


def merge_job(job, *unit_summaries) -> dict:
    """Build and write the job's one result file from its finished units (the summaries order the merge)."""
    from bench.battery import (
        assemble,
        keep_artifacts,
        open_run,
        resolve_device,
        same_result,
        unit_lock,
    )
    from bench.results import write_result

    if not job.is_sharded:
        return {"unit": f"{job.entry.id}/{job.protocol.name}", "status": "done"}
    s, seed = job.settings, job.protocol.selection.seed
    dev = resolve_device(s.device)
    testset, model, indices = open_run(
        job.entry, job.protocol, dev, s.batch_size, _zoo(s), s.data_dir, s.workers
    )
    sample_ids = [testset.ids[i] for i in indices]
    with unit_lock(job.final):
        if same_result(job.final, job.protocol.digest(), sample_ids) is None:
            started, t0 = _first_start(job)
            done = _merged_metrics(job, model, testset, indices, dev, seed)
            result = assemble(
                job.entry,
                job.protocol,
                done,
                started,
                t0,
                dev,
                seed,
                s.batch_size,
                sample_ids,
                list(s.command) if s.command else None,
            )
            write_result(s.results_dir, result)
            log_executions(job)
            _gather_artifacts(job)
            keep_artifacts(job.units_dir / "merged.state", job.final, job.protocol.metrics)
        shutil.rmtree(job.units_dir, ignore_errors=True)
    return {"unit": f"{job.entry.id}/{job.protocol.name}", "status": "merged"}


def _merged_metrics(job, model, testset, indices, dev, seed) -> dict:
    """Metric name → values and detail over all selected images, in the protocol's order."""
    from bench.metrics import METRICS, RunContext

    units = {u.name: u for u in job.units()}
    parts = {name: _read_unit(u, testset.ids, indices) for name, u in units.items()}
    done = {}
    for name in job.protocol.metrics:
        if name in job.whole:
            done[name] = parts["whole"][name]
            continue
        metric = METRICS.get(name)
        params = metric.params_schema.model_validate(job.protocol.metrics[name] or {})
        ctx = RunContext(
            model,
            job.entry,
            job.protocol,
            testset,
            indices,
            job.settings.batch_size,
            dev,
            seed,
            state_dir=job.units_dir / "merged.state" / name,
        )
        shards = [
            dict(parts[u.name][name], state_dir=u.path(".state") / name)
            for u in units.values()
            if u.kind == "shard"
        ]
        done[name] = MERGERS[name](shards, ctx, params)
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


def _first_start(job) -> tuple[str, float]:
    """When the job's first unit execution started (ISO time, and as this process's perf_counter)."""
    from datetime import datetime, timezone

    starts = [r["t"] for u in job.units() for r in executions(u)] or [time.time()]
    t = min(starts)
    iso = datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")
    return iso, time.perf_counter() - (time.time() - t)


def _gather_artifacts(job) -> None:
    """Move the whole unit's artifact folders into the merged state, where :func:`keep_artifacts` finds them."""
    whole = job.units_dir / "whole.state"
    for folder in sorted(whole.glob("*/artifacts")):
        target = job.units_dir / "merged.state" / folder.parent.name / "artifacts"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        folder.replace(target)
