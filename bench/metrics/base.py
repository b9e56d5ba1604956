"""The metric contract: what a battery measure receives and what it returns.

A metric is a registered object with

- ``name`` (its protocol key) and ``label`` (a short human name); the direction and unit of each
  value it reports are on that value's record, not on the metric,
- ``params_schema``: the pydantic schema of its protocol parameters,
- ``run(ctx, params) -> MetricOutput``: flat numeric values plus per-metric detail,
- ``records(values, detail, params) -> list[Value]``: the same values as records with their
  identity (quantity and parameters, built from ``params``, never parsed from a name), direction,
  n and 95% interval (:mod:`bench.results.values`). It is pure, so ``bench migrate`` rebuilds the
  records of a version-1 result file from its values and details.

The maths lives in pure functions beside each metric; ``run`` only streams the selected
images through them in batches.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
import torch
from pydantic import BaseModel

from bench.registry import Registry


@dataclass
class RunContext:
    """Everything a metric may read: the model, the data, and the run's settings."""

    model: torch.nn.Module
    entry: Any  # bench.zoo.schema.ModelEntry
    protocol: Any  # bench.protocols.Protocol (resolved)
    testset: Any  # bench.data.TestSet
    indices: np.ndarray
    batch_size: int
    device: torch.device
    seed: int
    progress: Any = None  # a callable(advance: int) or None
    state_dir: Path | None = None  # where a metric may keep state to resume an interrupted run
    predictions: np.ndarray | None = (
        None  # the clean prediction of each selected image, computed once per run
    )

    def predicted(self, idx: np.ndarray) -> torch.Tensor:
        """The clean predictions of test-set positions ``idx`` (one shared forward pass per run)."""
        if self.predictions is None:
            raise RuntimeError("the run computed no clean predictions")
        position = {int(i): p for p, i in enumerate(self.indices)}
        return torch.as_tensor(
            self.predictions[[position[int(i)] for i in idx]], device=self.device
        )

    def batches(self) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
        """The selected images in order, ``batch_size`` at a time, on the run's device.

        Image files are decoded ahead by the test set's DataLoader workers where it has them.
        """
        for idx, x, y in self.testset.batches(self.indices, self.batch_size):
            yield idx, x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            if self.progress is not None:
                self.progress(len(idx))


class ResumeStateWarning(UserWarning):
    """Saved state of an interrupted run was unreadable or foreign: it is discarded and recomputed."""


def discard_state(path: Path, why: str) -> None:
    """Warn that resume state at ``path`` is not used, and remove it (never compute a number from it)."""
    warnings.warn(
        f"Discarding resume state {path}: {why}. It is recomputed.",
        ResumeStateWarning,
        stacklevel=2,
    )
    if Path(path).is_file():
        Path(path).unlink(missing_ok=True)


@dataclass
class MetricOutput:
    """A metric's raw output: value name → number, and a JSON-able detail record."""

    values: dict[str, float]
    detail: dict[str, Any] = field(default_factory=dict)


Value = Any  # bench.results.values.Value (kept loose here: results import metrics lazily)


class Metric(Protocol):
    """The interface of a registered metric: a name, a label, a params schema, run and records."""

    name: ClassVar[str]
    label: ClassVar[str]
    params_schema: ClassVar[type[BaseModel]]

    def run(self, ctx: RunContext, params: BaseModel) -> MetricOutput:
        """Compute the metric on the run's selected images."""
        ...

    def records(
        self, values: dict[str, float], detail: dict[str, Any], params: BaseModel
    ) -> list[Value]:
        """The value records (with intervals) of a run's ``values`` and ``detail``."""
        ...


METRICS: Registry[Metric] = Registry("metric")
