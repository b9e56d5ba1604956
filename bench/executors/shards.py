"""Running one work unit under its lease, and merging a job's shards into one result file.

A ``battery`` unit is :func:`bench.battery.run_battery`; a ``shard`` or ``whole`` unit runs its
metrics on its slice of the selected images and keeps them in its ``.partial.json``. Once all
have finished, :func:`merge_job` writes the job's result file, its metrics merged exactly from the
shards' per-image records by :mod:`bench.executors.merge`.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import replace

from bench.executors.leases import (
    executions,
    finished,
    lease,
    log_executions,
    mark_execution,
)
from bench.executors.merge import merged_metrics


def run_unit(unit, progress=None) -> dict:
    """Run ``unit`` under its lease unless an earlier execution finished it; a short summary."""
    zoo = _zoo(unit.job.settings)
    if unit.kind == "battery":
        _run_battery_unit(unit, zoo, progress)
        return {"unit": unit.key, "status": "done"}
    if _job_done(unit.job):
        return {"unit": unit.key, "status": "skipped"}
    with lease(unit):
        # again under the lease: another driver may have merged meanwhile
        if finished(unit) or _job_done(unit.job):
            return {"unit": unit.key, "status": "skipped"}
        mark_execution(unit)
        _run_slice(unit, zoo, progress)
    return {"unit": unit.key, "status": "done"}


def _run_battery_unit(unit, zoo, progress) -> None:
    """An unsharded job: the whole battery, exactly as ``bench evaluate --model`` runs it."""
    from bench.battery import run_battery

    job, s = unit.job, unit.job.settings
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


def _run_slice(unit, zoo, progress) -> None:
    """A shard or whole unit: its metrics on its slice of the selected images, kept in its state."""
    import torch

    from bench.battery import run_metrics

    torch.manual_seed(unit.job.protocol.selection.seed)
    run = _open_job(unit.job, zoo)
    run_metrics(
        replace(run, indices=run.indices[unit.start : unit.stop]),
        progress,
        partial=unit.path(".partial.json"),
        state_dir=unit.path(".state"),
        names=list(unit.metrics),
    )


def _open_job(job, zoo=None):
    """The job's model, test set and selected images on its device, as a metric's context."""
    from bench.battery import open_context
    from bench.devices import resolve_device

    s = job.settings
    dev = resolve_device(s.device)
    zoo = zoo if zoo is not None else _zoo(s)
    return open_context(
        job.entry,
        job.protocol,
        dev,
        s.batch_size,
        job.protocol.selection.seed,
        zoo,
        s.data_dir,
        s.workers,
    )


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
    from bench.battery import selected_ids
    from bench.results import write_result
    from bench.run.assemble import assemble
    from bench.run.lock import same_result, unit_lock
    from bench.run.resume import keep_artifacts

    if not job.is_sharded:
        return {"unit": f"{job.entry.id}/{job.protocol.name}", "status": "done"}
    s = job.settings
    run = _open_job(job)
    sample_ids = selected_ids(run)
    with unit_lock(job.final):
        if same_result(job.final, job.protocol.digest(), sample_ids) is None:
            started, t0 = _first_start(job)
            done = merged_metrics(job, run)
            result = assemble(
                run, done, started, t0, sample_ids, list(s.command) if s.command else None
            )
            write_result(s.results_dir, result)
            log_executions(job)
            _gather_artifacts(job)
            keep_artifacts(job.units_dir / "merged.state", job.final, job.protocol.metrics)
        shutil.rmtree(job.units_dir, ignore_errors=True)
    return {"unit": f"{job.entry.id}/{job.protocol.name}", "status": "merged"}


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
