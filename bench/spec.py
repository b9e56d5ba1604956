"""Shared pieces of every YAML/JSON spec: strict models and ε parsing/formatting."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class Strict(BaseModel):
    """Base for every spec: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_eps(value: Any) -> Any:
    """Accept ε as a number or as a fraction string such as ``"8/255"``."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*/\s*\d+(\.\d+)?\s*", value):
        num, den = (float(p) for p in value.split("/"))
        return num / den
    return value


def format_eps(eps: float | None) -> str:
    """ε as people write it: ``8/255`` when it is a whole number of 255ths, else the number."""
    if eps is None:
        return "-"
    k = Fraction(eps * 255).limit_denominator(1000)
    if k.denominator == 1 and 0 < k.numerator <= 1020 and abs(k.numerator / 255 - eps) < 1e-9:
        return f"{k.numerator}/255"
    return f"{eps:g}"
