"""Shared pieces of every YAML/JSON spec: strict models and ε parsing/formatting."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class Strict(BaseModel):
    """Base for every spec: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FiniteStrict(Strict):
    """A spec people write (registry entry, recipe): as Strict, and no infinite or NaN number."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def parse_eps(value: Any) -> Any:
    """Accept ε as a number or as a fraction string such as ``"8/255"`` (a zero denominator is a ValueError)."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*/\s*\d+(\.\d+)?\s*", value):
        num, den = (float(p) for p in value.split("/"))
        if den == 0:
            raise ValueError(f"the fraction {value.strip()!r} divides by zero")
        return num / den
    return value


def format_eps(eps: float | None) -> str:
    """ε as people write it: ``8/255`` or ``0.5/255`` for small multiples of 1/510, else the number (``0.3``)."""
    if eps is None:
        return "-"
    if len(f"{eps:g}") <= 4:  # 0.1, 0.25, 0.3: a short decimal is how it was written
        return f"{eps:g}"
    halves = eps * 510
    if 0 < eps * 255 <= 32 and abs(halves - round(halves)) < 1e-6:
        return f"{round(halves) / 2:g}/255"
    return f"{eps:g}"
