"""The metric contract: what a battery measure receives and what it returns.

A metric is a registered object with

- ``name`` (its protocol key), ``label`` (its leaderboard column), ``higher_is_better``
  (the only source of leaderboard sort order) and ``percent`` (shown ×100),
- ``params_schema``: the pydantic schema of its protocol parameters,
- ``run(ctx, params) -> MetricOutput``: flat numeric values plus per-metric detail.

The maths lives in pure functions beside each metric; ``run`` only streams the selected
images through them in batches.
"""

from __future__ import annotations

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

    def batches(self) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
        """The selected images in order, ``batch_size`` at a time, on the run's device."""
        for start in range(0, len(self.indices), self.batch_size):
            idx = self.indices[start:start + self.batch_size]
            x, y = self.testset.load(idx)
            yield idx, x.to(self.device), y.to(self.device)
            if self.progress is not None:
                self.progress(len(idx))


@dataclass
class MetricOutput:
    values: dict[str, float]
    detail: dict[str, Any] = field(default_factory=dict)


class Metric(Protocol):
    name: ClassVar[str]
    label: ClassVar[str]
    higher_is_better: ClassVar[bool]
    percent: ClassVar[bool]  # a share in [0,1], shown as a percentage
    params_schema: ClassVar[type[BaseModel]]

    def run(self, ctx: RunContext, params: BaseModel) -> MetricOutput: ...


METRICS: Registry[Metric] = Registry("metric")
