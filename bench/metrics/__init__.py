"""Registered metrics. Importing this package registers every metric."""

from bench.metrics.base import METRICS, Metric, MetricOutput, RunContext
from bench.metrics import accuracy, autoattack, inequality, interpretation, isa, pgd_grid, proposition1  # noqa: F401  (registers)

__all__ = ["METRICS", "Metric", "MetricOutput", "RunContext"]
