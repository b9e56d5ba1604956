"""Parameters of PGD accuracy over a grid of ε and steps (paper 001, Table 1, Table A3)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bench.spec import FiniteStrict, parse_eps


class PGDGridParams(FiniteStrict):
    """The ε grid, the step counts scored, the step size, the norm and the FGSM baseline."""

    eps: tuple[float, ...] = Field(min_length=1, description="budgets; 0 gives clean accuracy")
    steps: tuple[int, ...] = Field(
        min_length=1, description="step counts, each scored on its own iterate"
    )
    step_size: float | None = Field(
        default=None, gt=0, description="absolute step; None: step_size_rel × ε"
    )
    step_size_rel: float = Field(default=0.25, gt=0)
    random_start: bool = False
    norm: Literal["Linf", "L2"] | None = Field(
        default=None, description="None: the protocol's threat model"
    )
    one_step_baseline: bool = Field(default=True, description="also run FGSM (one step of size ε)")

    @field_validator("eps", mode="before")
    @classmethod
    def _fractions(cls, value):
        return tuple(parse_eps(v) for v in value) if isinstance(value, (list, tuple)) else value

    _step = field_validator("step_size", mode="before")(parse_eps)

    @field_validator("steps")
    @classmethod
    def _positive(cls, value):
        if any(s < 1 for s in value):
            raise ValueError("step counts must be >= 1")
        return tuple(sorted(set(value)))
