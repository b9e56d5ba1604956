"""Parameters of the Proposition-1 check of paper 001 (§3, App. E): the PGD checked."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bench.spec import FiniteStrict, parse_eps


class Prop1Params(FiniteStrict):
    """The PGD whose successful examples Proposition 1 is checked on (budget, steps, iterate)."""

    eps: float = Field(gt=0, description="the PGD budget whose successful examples are checked")
    steps: int = Field(default=200, ge=1)
    step_size: float = Field(default=0.01, gt=0)
    iterate: Literal["last", "first_success"] = Field(
        default="last",
        description="the PGD iterate checked: the last, or the first that is misclassified "
        "(an example just across the decision boundary, where the bound is tight)",
    )
    random_start: bool = Field(
        default=False, description="start PGD from a uniform point of the ε-ball (the paper: no)"
    )

    _eps = field_validator("eps", mode="before")(parse_eps)
