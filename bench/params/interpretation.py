"""Parameters of paper 001's attack against interpretability (App. C, eq. 15) and its two variants."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from bench.params.proposition1 import Prop1Params
from bench.spec import FiniteStrict, parse_eps

AUTHORS_TOPK = {"hinge_weight": 0.0, "iterate": "last", "random_start": True, "cam_label": "true"}


class InterpretationParams(FiniteStrict):
    """The AAI of paper 001 (App. C, eq. 15): budgets, steps, k, the variant and its settings."""

    interpreter: Literal["auto", "cam", "gradcam", "gradcam_signed", "gradcam_pp"] = Field(
        default="auto", description="auto: CAM when the network has a CAM head, else signed GradCAM"
    )
    eps: tuple[float, ...] = Field(min_length=1, description="AAI budgets (L∞)")
    main_eps: float | None = Field(
        default=None, description="the board's τ column; None: the largest ε"
    )
    steps: int = Field(default=200, ge=1, description="the paper: 200")
    step_size: float = Field(default=0.01, gt=0, description="the paper: 0.01 whatever ε")
    k: int = Field(default=8, ge=1, description="top-k map positions pushed down (the paper: 8)")
    variant: Literal["bench_hinge", "authors_topk"] = Field(
        default="bench_hinge",
        description="the AAI preset: authors_topk, the authors' released aai_topk (uniform "
        "random start, no hinge, last iterate, images whose prediction changed left out, true-label CAM); "
        "bench_hinge (no random start, hinge λ = 1, best label-keeping iterate, predicted-class CAM), whose "
        "fields below may be changed one at a time",
    )
    hinge_weight: float | None = Field(
        default=None, ge=0, description="λ of eq. (15); None: the variant's"
    )
    iterate: Literal["best", "last"] | None = Field(
        default=None,
        description="best: the label-keeping iterate with the least top-k mass (every image counts); "
        "last: the final iterate, images whose prediction changed left out of τ; "
        "None: the variant's",
    )
    random_start: bool | None = Field(
        default=None,
        description="start the attack from a uniform point of the ε-ball; None: the variant's "
        "(bench_hinge: only for objective l1, which has no gradient at the clean point)",
    )
    cam_label: Literal["predicted", "true"] | None = Field(
        default=None,
        description="whose map is attacked and compared: the clean prediction's or the true label's; "
        "None: the variant's",
    )
    objective: Literal["topk", "l1"] = Field(
        default="topk",
        description="the interpretation term of eq. (15): topk, the mass of the clean map's k largest "
        "positions (the paper's experiments); l1, the 1-class ℓ1 discrepancy of eq. (4)",
    )
    prop1: Prop1Params | None = Field(
        default=None, description="check Proposition 1 (networks with a CAM head)"
    )
    examples: int = Field(
        default=4, ge=0, description="images whose clean and attacked maps the model page shows"
    )

    @field_validator("eps", mode="before")
    @classmethod
    def _fractions(cls, value):
        return tuple(parse_eps(v) for v in value) if isinstance(value, (list, tuple)) else value

    _main = field_validator("main_eps", mode="before")(parse_eps)

    @model_validator(mode="after")
    def _consistent(self):
        given = {f: getattr(self, f) for f in AUTHORS_TOPK if getattr(self, f) is not None}
        if self.variant == "authors_topk":
            clash = {f: v for f, v in given.items() if v != AUTHORS_TOPK[f]}
            if clash or self.objective != "topk":
                raise ValueError(
                    f"variant authors_topk fixes {AUTHORS_TOPK} and objective topk; {clash or 'objective l1'}"
                    " contradicts it: use variant bench_hinge to change a setting"
                )
        if self.objective == "l1" and self.random_start is False:
            raise ValueError(
                "objective l1 has no gradient at the clean point: leave random_start unset or true"
            )
        return self

    def resolved(self) -> dict:
        """The attack's effective settings: the variant's preset with this protocol's explicit fields."""
        preset = (
            AUTHORS_TOPK
            if self.variant == "authors_topk"
            else {
                "hinge_weight": 1.0,
                "iterate": "best",
                "random_start": self.objective == "l1",
                "cam_label": "predicted",
            }
        )
        return {f: preset[f] if getattr(self, f) is None else getattr(self, f) for f in preset}
