"""The architecture registry itself (kept apart so architecture modules can import it).

Its names and keywords are also data in :mod:`bench.zoo.architecture_specs`, torch-free.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

from bench.errors import SpecError
from bench.registry import Registry
from bench.zoo.architecture_specs import MAX_INT_PARAM, check_params  # noqa: F401  (re-exported)

ArchitectureBuilder = Callable[..., nn.Module]

ARCHITECTURES: Registry[ArchitectureBuilder] = Registry("architecture")


def keyword_params(builder: Callable) -> set[str] | None:
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
