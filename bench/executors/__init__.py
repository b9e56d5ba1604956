"""Executors for sweeps of ``bench evaluate``: where the work units of many (model, protocol) run.

``local`` runs them in this process one after another; ``ray`` runs each as a Ray task, on a
local Ray instance or a cluster. Both run the same units (:mod:`bench.executors.units`) and the
same merge (:mod:`bench.executors.merge`), so a sweep writes the same result files either way.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bench.errors import BenchError
from bench.executors.progress import SweepBoard, SweepDisplay
from bench.executors.units import Job, RunSettings, Unit, plan_job

__all__ = ["Job", "RunSettings", "Unit", "make_executor", "plan_sweep", "run_sweep"]


def make_executor(
    name: str,
    *,
    address: str | None = None,
    cpus_per_task: float = 1,
    gpus_per_task: float | None = None,
    max_retries: int = 3,
    quiet_workers: bool = False,
):
    """The executor ``name`` (``local`` or ``ray``) with its resources; Ray is imported only when asked for."""
    if name == "local":
        if address:
            raise BenchError("--address joins a Ray cluster: it needs --executor ray.")
        from bench.executors.local import LocalExecutor

        return LocalExecutor()
    if name == "ray":
        from bench.executors.ray import RayExecutor

        return RayExecutor(address, cpus_per_task, gpus_per_task, max_retries, quiet_workers)
    raise BenchError(f"Unknown executor {name!r}: local or ray.")


def plan_sweep(pairs: list, settings: RunSettings, shard_size: int | None) -> list[Job]:
    """One job per (entry, resolved protocol); test sets are opened only to size unbounded selections."""
    from bench.data import open_testset

    sizes: dict[tuple, int] = {}
    jobs = []
    for entry, protocol in pairs:
        size = 0
        if protocol.selection.n is None:
            key = (protocol.dataset, entry.preprocessing.transform)
            if key not in sizes:
                sizes[key] = len(
                    open_testset(protocol.dataset, data_dir=settings.data_dir, transform=key[1])
                )
            size = sizes[key]
        jobs.append(plan_job(entry, protocol, settings, shard_size, size))
    return jobs


def absolute(settings: RunSettings) -> RunSettings:
    """The settings with every path absolute (workers may not share the driver's working folder)."""
    fix = {
        k: Path(v).resolve()
        for k in ("results_dir", "data_dir", "zoo_path")
        if (v := getattr(settings, k)) is not None
    }
    return replace(settings, **fix)


def run_sweep(
    jobs: list[Job], executor, show_progress: bool = True, fail_fast: bool = False
) -> list[str]:
    """Run every job's units on ``executor`` with one progress display; the failures (empty when none).

    ``fail_fast`` (the local executor): the first user error is raised as it is, nothing else runs.
    """
    shape = {u.key: (u.n_images, len(u.metrics)) for job in jobs for u in job.units()}
    shape |= {f"{j.entry.id}/{j.protocol.name}/merge": (0, 1) for j in jobs if j.is_sharded}
    board = SweepBoard(shape)
    with SweepDisplay(enabled=show_progress) as display:
        if fail_fast and hasattr(executor, "fail_fast"):
            executor.fail_fast = True
        return executor.run(jobs, board, display)
