"""One progress display for a whole sweep: units done / running / failed, images per second, ETA.

:class:`SweepBoard` only counts (it runs in the driver for the local executor and inside a Ray
actor for the Ray executor, where workers report to it); :class:`SweepDisplay` draws its
snapshots with rich on stderr, so ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SweepBoard:
    """Per unit: work (image passes: images × metrics), passes done, and state."""

    def __init__(self, units: dict[str, tuple[int, int]]):
        """``units``: key → (images, metrics) of each unit of the sweep."""
        self.reset(units)

    def reset(self, units: dict[str, tuple[int, int]]) -> None:
        """Count a new sweep (a Ray actor is reused across the sweeps of one driver)."""
        self.shape = dict(units)
        self.done = dict.fromkeys(units, 0)
        self.state = dict.fromkeys(units, "pending")
        self.t0 = time.time()

    def start(self, key: str) -> None:
        """A unit's execution began (a retried unit starts counting again)."""
        self.state[key], self.done[key] = "running", 0

    def advance(self, key: str, n: int) -> None:
        """Count ``n`` more image passes of unit ``key`` (capped at its total)."""
        images, metrics = self.shape[key]
        self.done[key] = min(self.done[key] + n, images * metrics)

    def finish(self, key: str, status: str) -> None:
        """``done``, ``skipped`` (finished by an earlier or another run) or ``failed``."""
        self.state[key] = status
        if status in ("done", "skipped", "merged"):
            images, metrics = self.shape[key]
            self.done[key] = images * metrics

    def snapshot(self) -> dict:
        """Counts the display needs: work done and total, images done, units by state, seconds elapsed."""
        images = sum(self.done[k] / max(m, 1) for k, (_, m) in self.shape.items())
        states = list(self.state.values())
        return {
            "work": sum(self.done.values()),
            "total": sum(i * m for i, m in self.shape.values()),
            "images": images,
            "elapsed": time.time() - self.t0,
            **{s: states.count(s) for s in ("pending", "running", "failed")},
            "finished": sum(s in ("done", "skipped", "merged") for s in states),
            "units": len(states),
        }


def unit_progress(report: Callable[[int], None]):
    """A battery progress factory ``(description, total) -> advance(n)`` feeding one unit's counter."""

    def factory(description: str, total: int):
        def advance(n: int, **status) -> None:
            report(n)

        return advance

    return factory


class SweepDisplay:
    """A single rich bar over the sweep's image passes, with unit counts and images/s beside it."""

    def __init__(self, enabled: bool = True):
        self.progress = None
        if enabled:
            from rich.progress import (
                BarColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            from bench.cli.output import stderr

            self.progress = Progress(
                TextColumn("sweep"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[status]}"),
                console=stderr,
                transient=False,
            )
            self.task = self.progress.add_task("sweep", total=1, status="")

    def __enter__(self):
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.progress:
            self.progress.stop()

    def update(self, snap: dict) -> None:
        """Redraw the sweep's bar from a board snapshot: units done/running/failed, images per second."""
        if not self.progress:
            return
        rate = snap["images"] / snap["elapsed"] if snap["elapsed"] > 0 else 0.0
        status = (
            f"units {snap['finished']}/{snap['units']} done · {snap['running']} running · "
            f"{snap['failed']} failed · {rate:.2f} images/s"
        )
        self.progress.update(
            self.task, total=max(snap["total"], 1), completed=snap["work"], status=status
        )
