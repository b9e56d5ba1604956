"""Which test images a protocol evaluates (the ``selection`` block of a protocol)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bench.spec import FiniteStrict


class Selection(FiniteStrict):
    """Which test images a protocol evaluates: the first n or a seeded random n, optionally only correct ones."""

    strategy: Literal["first", "random"] = "first"
    n: int | None = Field(default=None, gt=0, description="how many images; None = all")
    seed: int = 0
    only_correct: bool = Field(
        default=False, description="keep only images classified correctly by ..."
    )
    correct_by: tuple[str, ...] = Field(
        default=(), description="... these model ids (empty: the evaluated model)"
    )
