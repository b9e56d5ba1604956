"""Parameters of AutoAttack robust accuracy (Croce & Hein, 2020): version, attacks, norm, ε."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bench.spec import FiniteStrict, parse_eps


class AutoAttackParams(FiniteStrict):
    """AutoAttack's version (or custom attack list), norm and ε (None: the protocol's)."""

    version: Literal["standard", "plus", "rand", "custom"] = "standard"
    attacks: (
        tuple[Literal["apgd-ce", "apgd-dlr", "apgd-t", "fab", "fab-t", "square"], ...] | None
    ) = Field(default=None, description="only with version: custom")
    norm: Literal["Linf", "L2", "L1"] | None = Field(
        default=None, description="None: the protocol's threat model"
    )
    eps: float | None = Field(default=None, ge=0, description="None: the protocol's ε")

    _eps = field_validator("eps", mode="before")(parse_eps)
