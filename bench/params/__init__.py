"""What a protocol may set: each metric's parameter schema, torch-free.

``METRIC_PARAMS`` maps a metric's protocol key to the pydantic schema of its parameters, so a
protocol (and a result's recorded protocol) validates into typed parameter models without
importing torch or any metric code. The metric registry (:data:`bench.metrics.METRICS`) holds the
code; each metric's ``params_schema`` is the schema registered here under its name (a test checks
the two registries agree).
"""

from __future__ import annotations

from pydantic import BaseModel

from bench.params.accuracy import NoParams
from bench.params.autoattack import AutoAttackParams
from bench.params.inequality import InequalityParams
from bench.params.interpretation import InterpretationParams
from bench.params.isa import SneakingParams
from bench.params.pgd_grid import PGDGridParams
from bench.params.proposition1 import Prop1Params
from bench.params.selection import Selection
from bench.registry import Registry

METRIC_PARAMS: Registry[type[BaseModel]] = Registry("metric")
for _name, _schema in {
    "clean_accuracy": NoParams,
    "autoattack": AutoAttackParams,
    "inequality": InequalityParams,
    "interpretation": InterpretationParams,
    "isa": SneakingParams,
    "pgd_grid": PGDGridParams,
    "proposition1": Prop1Params,
}.items():
    METRIC_PARAMS.register(_name)(_schema)

__all__ = ["METRIC_PARAMS", "Selection"]
