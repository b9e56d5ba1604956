"""Work units of a sweep: (model, protocol, shard of the selected images), and where each keeps its state.

A *job* is one (model, protocol) of the sweep. Unsharded (no ``--shard-size``, or a selection no
larger than one shard), it is one ``battery`` unit: :func:`bench.battery.run_battery`, exactly as
``bench evaluate --model`` runs it. Sharded, it is

- one ``shard`` unit per ``--shard-size`` slice of the selected images, running the metrics whose
  per-image results can be merged exactly (:data:`bench.executors.merge.MERGERS`),
- one ``whole`` unit running the other metrics on every selected image (AutoAttack: its attacks run
  on the images still robust, in batches, so an image's random start depends on which other
  images are attacked with it),
- a ``merge`` that builds the one result file from them once they have all finished.

Each unit keeps its state under ``<results>/<model>/<protocol>.units/<unit>``: ``.partial.json``
(its finished metrics and the sample ids they were measured on), ``.state/`` (per-batch records,
mid-metric state), ``.lock`` (its lease) and ``.runs`` (one JSON line per execution: host, pid, time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from bench.protocols import Protocol
from bench.results import result_path
from bench.zoo.schema import ModelEntry


@dataclass(frozen=True)
class RunSettings:
    """What every unit of a sweep shares (paths absolute: a worker may run anywhere)."""

    results_dir: Path
    batch_size: int = 100
    device: str | None = None
    data_dir: Path | None = None
    zoo_path: Path | None = None
    workers: int = 0
    command: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Job:
    """One (model, protocol) of a sweep, with its images split into shards or not."""

    entry: ModelEntry
    protocol: Protocol
    settings: RunSettings
    n_images: int
    shard_size: int | None = None
    sharded: tuple[str, ...] = ()  # metrics run shard by shard and merged
    whole: tuple[str, ...] = ()  # metrics run on every image in one unit
    notes: tuple[str, ...] = field(default=(), compare=False)  # why a metric is not sharded

    @property
    def is_sharded(self) -> bool:
        """Whether the job is split into shards (else one unit runs the whole battery)."""
        return bool(self.sharded)

    @property
    def final(self) -> Path:
        """The job's one result file."""
        return result_path(self.settings.results_dir, self.entry.id, self.protocol.name)

    @property
    def units_dir(self) -> Path:
        """``<model>/<protocol>.units``: the units' locks, states and shard results beside the final result."""
        return self.final.with_name(f"{self.protocol.name}.units")

    def units(self) -> list[Unit]:
        """The units to run (before the merge), in a stable order."""
        if not self.is_sharded:
            return [Unit(self, "battery", 0, self.n_images, tuple(self.protocol.metrics))]
        size = self.shard_size
        out = [
            Unit(self, "shard", k * size, min((k + 1) * size, self.n_images), self.sharded)
            for k in range(math.ceil(self.n_images / size))
        ]
        return out + ([Unit(self, "whole", 0, self.n_images, self.whole)] if self.whole else [])


@dataclass(frozen=True)
class Unit:
    """Metrics ``metrics`` of a job on its selected images ``start:stop``."""

    job: Job
    kind: str  # battery | shard | whole
    start: int
    stop: int
    metrics: tuple[str, ...]

    @property
    def name(self) -> str:
        """``shard-<start>-<stop>``, or the unit's kind (``whole``, ``merge``)."""
        return f"shard-{self.start:07d}-{self.stop:07d}" if self.kind == "shard" else self.kind

    @property
    def key(self) -> str:
        """Unique within a sweep: model / protocol / unit."""
        return f"{self.job.entry.id}/{self.job.protocol.name}/{self.name}"

    @property
    def n_images(self) -> int:
        """How many selected images the unit covers."""
        return self.stop - self.start

    @property
    def work(self) -> int:
        """Image passes: each image through each metric (the progress display counts these)."""
        return self.n_images * len(self.metrics)

    def path(self, suffix: str) -> Path:
        """The unit's own file with ``suffix`` (lock, state folder, execution log) in the job's units folder."""
        return self.job.units_dir / f"{self.name}{suffix}"


def plan_job(
    entry: ModelEntry,
    protocol: Protocol,
    settings: RunSettings,
    shard_size: int | None,
    testset_size: int,
) -> Job:
    """Split a (model, protocol) into units: shards when ``shard_size`` is smaller than the selection.

    A selection of every image (``n`` unset) takes ``testset_size``; an ``only_correct`` selection
    without ``n`` has an unknown size before it is made, so it runs unsharded.
    """
    from bench.executors.merge import shard_refusal

    sel = protocol.selection
    n = sel.n if sel.n is not None else testset_size
    if shard_size is None or n <= shard_size or (sel.only_correct and sel.n is None):
        return Job(entry, protocol, settings, n)
    sharded, whole, notes = [], [], []
    for name, params in protocol.metrics.items():
        why = shard_refusal(name, params or {}, shard_size, settings.batch_size)
        (whole if why else sharded).append(name)
        if why:
            notes.append(
                f"{entry.id} / {protocol.name}: {name} runs unsharded on all {n} images ({why})."
            )
    if not sharded:
        return Job(entry, protocol, settings, n, notes=tuple(notes))
    return Job(entry, protocol, settings, n, shard_size, tuple(sharded), tuple(whole), tuple(notes))
