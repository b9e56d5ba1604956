"""The architecture registry itself (kept apart so architecture modules can import it)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

from bench.errors import SpecError
from bench.registry import Registry

ArchitectureBuilder = Callable[..., nn.Module]

ARCHITECTURES: Registry[ArchitectureBuilder] = Registry("architecture")


# Integer parameters (widths, channels, depths) beyond this would only exhaust memory.
MAX_INT_PARAM = 4096


def check_params(name: str, params: dict[str, Any]) -> None:
    """Refuse parameters the builder of ``name`` does not take, and integers out of [1, MAX_INT_PARAM]."""
    builder = ARCHITECTURES.get(name)
    taken = _keyword_params(builder)
    unknown = sorted(set(params) - taken - {"num_classes"}) if taken is not None else []
    if "num_classes" in params:
        unknown = ["num_classes (set by the entry's num_classes)"] + unknown
    if unknown:
        accepted = (
            ", ".join(sorted(taken - {"num_classes"})) or "none"
            if taken is not None
            else "its own keywords"
        )
        raise SpecError(
            f"Architecture {name!r} takes no parameter {', '.join(unknown)}; it takes: {accepted}."
        )
    for key, value in params.items():
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not 1 <= value <= MAX_INT_PARAM
        ):
            raise SpecError(
                f"Architecture parameter {key}={value} is out of range: give 1 to {MAX_INT_PARAM}."
            )


def _keyword_params(builder: Callable) -> set[str] | None:
    """The keyword parameters ``builder`` accepts; None when it also takes ``**kwargs``."""
    try:
        signature = inspect.signature(builder)
    except (TypeError, ValueError):
        return None
    kinds = {p.kind for p in signature.parameters.values()}
    if inspect.Parameter.VAR_KEYWORD in kinds:
        return None  # the builder checks its own keywords (paper 001's nets)
    return {
        n
        for n, p in signature.parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }


def build_architecture(
    name: str, num_classes: int, params: dict[str, Any] | None = None
) -> nn.Module:
    """Build the registered architecture ``name`` with ``num_classes`` outputs.

    Parameters it does not take, or values it cannot be built with, are a :class:`SpecError`.
    """
    params = dict(params or {})
    check_params(name, params)
    try:
        return ARCHITECTURES.get(name)(num_classes=num_classes, **params)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise SpecError(
            f"Architecture {name!r} cannot be built with {params or 'no parameters'}: {exc}"
        ) from None
