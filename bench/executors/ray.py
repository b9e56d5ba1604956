"""The Ray executor: each unit a Ray task (``num_cpus``/``num_gpus`` per task), retried when its worker dies.

Without ``address`` a local Ray instance is started with this machine's CPUs and GPUs; with one,
the driver joins that cluster (started by ``ray start``, Ray's SLURM or Kubernetes launchers; see
docs/scale.md). A job's merge is a task that depends on its units, so Ray starts it when they
have all finished. Workers report progress to one board actor that the driver polls.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.errors import BenchError
from bench.executors.progress import SweepBoard, SweepDisplay, unit_progress
from bench.executors.shards import merge_job, run_unit


def import_ray():
    """The ``ray`` module, or a BenchError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise BenchError(
            "--executor ray needs Ray, which is not installed: pip install 'bench[ray]' "
            "(or pip install 'ray[default]'), or use --executor local."
        ) from None
    return ray


def bench_environment() -> dict[str, str]:
    """The driver's BENCH_* variables, paths made absolute, for workers that may start elsewhere."""
    out = {}
    for name, value in os.environ.items():
        if name.startswith("BENCH_") and value:
            out[name] = (
                str(Path(value).resolve())
                if name in ("BENCH_ASSETS", "BENCH_CACHE", "BENCH_ZOO")
                else value
            )
    return out


def _execute(unit, board):
    board.start.remote(unit.key)
    return run_unit(unit, unit_progress(lambda n: board.advance.remote(unit.key, n)))


def _merge(job, board, *summaries):
    board.start.remote(f"{job.entry.id}/{job.protocol.name}/merge")
    return merge_job(job, *summaries)


class RayExecutor:
    """Units as Ray tasks (``num_cpus``/``num_gpus`` each, retried ``max_retries`` times), merges after their shards."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        cpus_per_task: float = 1,
        gpus_per_task: float | None = None,
        max_retries: int = 3,
        quiet_workers: bool = False,
    ):
        self.address, self.cpus, self.gpus = address, cpus_per_task, gpus_per_task
        self.max_retries, self.quiet_workers = max_retries, quiet_workers
        self.ray = import_ray()
        self._actor, self._actor_job = None, None

    def _connect(self) -> bool:
        """Start or join Ray unless this process already did; whether we did (and so shut it down)."""
        if self.ray.is_initialized():
            return False
        try:
            self.ray.init(
                address=self.address,
                runtime_env={"env_vars": bench_environment()},
                include_dashboard=False,
                log_to_driver=not self.quiet_workers,
                logging_level="WARNING",
            )
        except (ConnectionError, ValueError, RuntimeError) as exc:
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            raise BenchError(f"Could not start or join {where}: {exc}") from None
        return True

    def run(self, jobs: list, board: SweepBoard, display: SweepDisplay) -> list[str]:
        """Run every job's units on the cluster (joined, or started locally); the failures' messages."""
        ray = self.ray
        started = self._connect()
        try:
            return self._sweep(ray, jobs, board, display)
        finally:
            if started:
                ray.shutdown()

    def _board(self, ray, shape: dict):
        """The progress actor: started once per driver, reset for each sweep (starting one costs a process)."""
        job = ray.get_runtime_context().get_job_id()
        if self._actor is None or self._actor_job != job:
            self._actor, self._actor_job = ray.remote(num_cpus=0)(SweepBoard).remote(shape), job
        else:
            ray.get(self._actor.reset.remote(shape))
        return self._actor

    def _tasks(self, ray):
        gpus = (
            self.gpus
            if self.gpus is not None
            else (1 if ray.cluster_resources().get("GPU", 0) else 0)
        )
        opts = {"num_cpus": self.cpus, "num_gpus": gpus, "max_retries": self.max_retries}
        return ray.remote(**opts, retry_exceptions=False)(_execute), ray.remote(**opts)(_merge)

    def _sweep(self, ray, jobs, board: SweepBoard, display: SweepDisplay) -> list[str]:
        execute, merge = self._tasks(ray)
        actor = self._board(ray, board.shape)
        pending = {}
        for job in jobs:
            refs = {execute.remote(u, actor): u.key for u in job.units()}
            pending |= refs
            if job.is_sharded:
                pending[merge.remote(job, actor, *refs)] = (
                    f"{job.entry.id}/{job.protocol.name}/merge"
                )
        failures = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            for ref in ready:
                key = pending.pop(ref)
                try:
                    actor.finish.remote(key, ray.get(ref)["status"])
                except (
                    ray.exceptions.RayError,
                    BenchError,
                ) as exc:  # a task's error, raised again by ray.get
                    actor.finish.remote(key, "failed")
                    failures.append(f"{key}: {_cause(exc)}")
            display.update(ray.get(actor.snapshot.remote()))
        return failures


def _cause(exc: Exception) -> str:
    """The message of the error a task raised (a BenchError's own text; else its type and first line)."""
    cause = getattr(exc, "cause", None) or exc
    if isinstance(cause, BenchError):
        return str(cause)
    return f"{type(cause).__name__}: {str(cause).strip().splitlines()[-1] if str(cause).strip() else ''}"
