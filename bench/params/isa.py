"""Parameters of paper 001's interpretability sneaking attack (§3, eq. 6) and Appendix B's NSL."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bench.spec import FiniteStrict, parse_eps

MEASURE = r"^l[12]-(one|two|all)$"


class NSLParams(FiniteStrict):
    """Appendix B's normalised slope: ISA at each image's ε* and at ``ratio`` × ε*."""

    measures: tuple[str, ...] = Field(
        default=("l1-two",),
        min_length=1,
        description="discrepancies of eq. (3) as "
        "'l<p>-<classes>': l1-two is eq. (4); Table A1 has l1/l2 × one/two/all",
    )
    eps_max: float = Field(
        gt=0,
        description="upper end of the search for ε*; images PGD cannot fool within it are left out",
    )
    ratio: float = Field(default=1.6, gt=1, description="ε̂ = ratio · ε* (the paper: 1.6)")
    search_steps: int = Field(
        default=8, ge=1, description="bisection steps for ε* (precision eps_max / 2**search_steps)"
    )
    pgd_steps: int = Field(default=100, ge=1, description="PGD steps of the ε* search")
    pgd_step_size: float | None = Field(
        default=None, gt=0, description="absolute PGD step; None: pgd_step_size_rel × ε"
    )
    pgd_step_size_rel: float = Field(default=0.25, gt=0)

    _eps = field_validator("eps_max", "pgd_step_size", mode="before")(parse_eps)

    @field_validator("measures")
    @classmethod
    def _measures(cls, value):
        bad = [m for m in value if not re.match(MEASURE, m)]
        if bad:
            raise ValueError(
                f"unknown measure(s) {bad}: write l1-one, l1-two, l1-all, l2-one, l2-two or l2-all"
            )
        return value


class SneakingParams(FiniteStrict):
    """ISA of paper 001 (eq. 6): budgets, classes and norm of D, τ, steps and the λ bisection."""

    interpreter: Literal["auto", "cam", "gradcam", "gradcam_signed", "gradcam_pp"] = "auto"
    eps: tuple[float, ...] = Field(
        default=(), description="fixed ISA budgets (L∞); may be empty when nsl is set"
    )
    classes: Literal["one", "two", "all"] = Field(
        default="two", description="the classes of eq. (3): {y}, {y, t}, all"
    )
    p: Literal[1, 2] = 1
    target: Literal["runner_up"] = Field(
        default="runner_up", description="t: the second most likely class at x"
    )
    tau: float = Field(
        default=0.1, gt=0, description="τ of eq. (6): the margin a successful ISA keeps"
    )
    steps: int = Field(default=100, ge=1)
    step_size: float = Field(default=0.01, gt=0)
    step_size_rel: float | None = Field(
        default=None,
        gt=0,
        description="if set, the step is this × the budget (per image at ε*), instead of step_size",
    )
    lam_range: tuple[float, float] = (1e-3, 1e3)
    bisection_steps: int = Field(default=6, ge=0)
    random_start: bool = Field(
        default=False,
        description="start each attack run from one seeded uniform point of "
        "the ε-ball (the paper gives no start)",
    )
    nsl: NSLParams | None = Field(
        default=None, description="also measure NDS and NSL at each image's ε* (Table A1)"
    )

    @field_validator("eps", mode="before")
    @classmethod
    def _fractions(cls, value):
        return tuple(parse_eps(v) for v in value) if isinstance(value, (list, tuple)) else value

    @model_validator(mode="after")
    def _something_to_do(self):
        if not self.eps and self.nsl is None:
            raise ValueError("give fixed budgets (eps) or an nsl block, or both")
        return self
