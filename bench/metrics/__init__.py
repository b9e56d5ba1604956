"""Registered metrics. Importing this package registers every metric."""

from bench.metrics import (  # noqa: F401  (registers)
    accuracy,
    autoattack,
    inequality,
    interpretation,
    isa,
    pgd_grid,
    proposition1,
)
from bench.metrics.base import METRICS, Metric, MetricOutput, RunContext

__all__ = ["METRICS", "Metric", "MetricOutput", "RunContext"]
