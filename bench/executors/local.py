"""The local executor: every unit in this process, one after another (the default)."""

from __future__ import annotations

from bench.errors import BenchError
from bench.executors.progress import SweepBoard, SweepDisplay, unit_progress
from bench.executors.shards import merge_job, run_unit


class LocalExecutor:
    """Runs a sweep's units in order; a unit that fails with a user error is reported, the rest go on."""

    name = "local"
    fail_fast = False  # raise the first user error as it is (a sweep of one job)

    def run(self, jobs: list, board: SweepBoard, display: SweepDisplay) -> list[str]:
        """Run every job's units then its merge; the failures, one message each."""
        failures: list[str] = []
        for job in jobs:
            failed = False
            for unit in job.units():
                failed |= not self._one(
                    unit.key, lambda p, u=unit: run_unit(u, p), board, display, failures
                )
            if job.is_sharded and not failed:
                key = f"{job.entry.id}/{job.protocol.name}/merge"
                self._one(key, lambda p, j=job: merge_job(j), board, display, failures)
        return failures

    def _one(
        self, key: str, call, board: SweepBoard, display: SweepDisplay, failures: list[str]
    ) -> bool:
        board.start(key)
        display.update(board.snapshot())

        def report(n: int) -> None:
            board.advance(key, n)
            display.update(board.snapshot())

        try:
            summary = call(unit_progress(report))
        except BenchError as exc:
            board.finish(key, "failed")
            if self.fail_fast:
                raise
            failures.append(f"{key}: {exc}")
            return False
        finally:
            display.update(board.snapshot())
        board.finish(key, summary["status"])
        display.update(board.snapshot())
        return True
