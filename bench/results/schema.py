"""The result schema (``schema_version`` 2).

A result carries the registry entry, the resolved protocol and its digest, provenance
(package versions, device, seed, sample ids, timing), ``values`` — one
:class:`~bench.results.values.Value` record per reported number, with its identity, direction,
n and 95% interval — and per-metric ``details`` (per-image data the intervals come from).

Version 1 stored ``metrics`` (value name → number) and ``produced_by`` (value name → metric);
:mod:`bench.results.migrate` rebuilds the records of such a file, and ``metrics`` /
``produced_by`` remain as read-only views of the records.
"""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from typing import Any, Literal

from pydantic import Field

from bench.results.values import Value
from bench.spec import Strict
from bench.zoo.schema import ModelEntry

SCHEMA_VERSION = 2
TRACKED_PACKAGES = (
    "bench",
    "torch",
    "torchvision",
    "numpy",
    "robustbench",
    "pyautoattack",
    "captum",
    "pydantic",
)


class Provenance(Strict):
    """How a result was produced: versions, device, seed, batch size, images and timing."""

    bench_version: str
    packages: dict[str, str]
    python: str
    platform: str
    device: str
    seed: int
    batch_size: int
    sample_ids: list[str]
    started_at: str
    finished_at: str
    duration_s: float = Field(ge=0)
    assets_dir: str | None = None
    command: list[str] | None = None


class Result(Strict):
    """One result file: the model entry, the resolved protocol, provenance and the values."""

    schema_version: Literal[2] = SCHEMA_VERSION
    model: ModelEntry
    protocol: dict[str, Any]
    protocol_digest: str
    provenance: Provenance
    values: list[Value]
    details: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(
        default_factory=list, description="sanity-check warnings (gradient masking, ...)"
    )

    @property
    def metrics(self) -> dict[str, float]:
        """Value name → number (NaN where nothing was measured): a read-only view of ``values``."""
        return {v.name: (float("nan") if v.value is None else v.value) for v in self.values}

    @property
    def produced_by(self) -> dict[str, str]:
        """Value name → the metric that produced it."""
        return {v.name: v.metric for v in self.values}

    def recorded_params(self, metric: str):
        """The typed parameters ``metric`` ran with (its schema in ``bench.params``); None if it did not run.

        A result written by an older bench whose parameters today's schema refuses still renders:
        it gets None, and a warning says why, so only what needs those parameters is left out.
        """
        import warnings

        from pydantic import ValidationError

        from bench.protocols import metric_params

        raw = self.protocol.get("metrics", {})
        if metric not in raw:
            return None
        try:
            return metric_params(metric, raw[metric])
        except ValidationError as exc:
            warnings.warn(
                f"{self.model.id} · {self.protocol.get('name')}: its recorded {metric} parameters "
                f"do not validate today ({exc.error_count()} errors); what needs them is left out",
                stacklevel=2,
            )
            return None

    def resolved_protocol(self):
        """The recorded protocol as a validated :class:`bench.protocols.Protocol` (torch-free).

        Its ``params(metric)`` gives the typed parameter model each metric ran with, so readers
        of a result never dig through the raw ``protocol`` dict.
        """
        from bench.protocols import Protocol

        return Protocol.model_validate(self.protocol)

    def value(self, name: str) -> Value | None:
        """The record named ``name``, or None."""
        return next((v for v in self.values if v.name == name), None)

    def find(self, metric: str | None = None, quantity: str | None = None, **params) -> list[Value]:
        """Every record with this metric, quantity and parameter values."""
        return [v for v in self.values if v.matches(metric, quantity, **params)]


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that can change a number."""
    out = {}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def environment() -> dict[str, str]:
    """The Python version and platform string of this machine."""
    return {"python": sys.version.split()[0], "platform": platform.platform()}


def now() -> str:
    """The current UTC time in ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
