"""Registered metrics. Importing this package registers every metric, and checks that each has its
parameter schema registered under the same name in the torch-free :data:`bench.params.METRIC_PARAMS`."""

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
from bench.params import METRIC_PARAMS
from bench.registry import check_agree

check_agree(METRICS, METRIC_PARAMS, "bench/params/__init__.py (METRIC_PARAMS)")

__all__ = ["METRICS", "Metric", "MetricOutput", "RunContext"]
