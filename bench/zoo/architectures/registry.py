"""The architecture registry itself (kept apart so architecture modules can import it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from bench.registry import Registry

ArchitectureBuilder = Callable[..., nn.Module]

ARCHITECTURES: Registry[ArchitectureBuilder] = Registry("architecture")


def build_architecture(name: str, num_classes: int, params: dict[str, Any] | None = None) -> nn.Module:
    """Build the registered architecture ``name`` with ``num_classes`` outputs."""
    return ARCHITECTURES.get(name)(num_classes=num_classes, **(params or {}))
