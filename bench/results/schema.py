"""The result schema (``schema_version`` 1).

A result carries the registry entry, the resolved protocol and its digest, provenance
(package versions, device, seed, sample ids, timing), ``metrics`` — a flat mapping from
value name to number — ``produced_by`` (value name → metric name, for sort order and
labels) and per-metric ``details``.
"""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from typing import Any, Literal

from pydantic import Field

from bench.spec import Strict
from bench.zoo.schema import ModelEntry

SCHEMA_VERSION = 1
TRACKED_PACKAGES = ("bench", "torch", "torchvision", "numpy", "robustbench", "pyautoattack", "captum", "pydantic")


class Provenance(Strict):
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
    schema_version: Literal[1] = SCHEMA_VERSION
    model: ModelEntry
    protocol: dict[str, Any]
    protocol_digest: str
    provenance: Provenance
    metrics: dict[str, float]
    produced_by: dict[str, str]
    details: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list, description="sanity-check warnings (gradient masking, ...)")


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
    return {"python": sys.version.split()[0], "platform": platform.platform()}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
