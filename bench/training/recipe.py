"""Recipes: every training hyper-parameter in one versioned YAML file (``bench/training/recipes``).

Schedules are indexed by optimiser step, as paper 001's are: ε is 0 for ``warmup_steps``
steps of regular training, then rises linearly to its final value at ``ramp_end`` (the end of
training when null); the learning rate is piecewise constant with boundaries in steps.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from bench.errors import SpecError, UnknownNameError
from bench.registry import suggest
from bench.spec import FiniteStrict, parse_eps
from bench.yamlio import read_yaml, validate

RECIPE_DIR = Path(__file__).parent / "recipes"
Method = Literal[
    "standard", "pgd_at", "trades", "cutout_pgd_at", "int", "int_adv", "int2", "int2_adv", "int_one"
]
RegularizerForm = Literal["authors", "bench_v1"]


class InnerAttack(FiniteStrict):
    """The inner maximisation (PGD-AT's example, TRADES's KL, Int's worst-case discrepancy)."""

    steps: int = Field(default=10, ge=1)
    step_size: float | None = Field(
        default=None, gt=0, description="absolute ℓ∞ step; null: step_size_rel × ε"
    )
    step_size_rel: float = Field(
        default=0.25, gt=0, description="2/255 at ε = 8/255, as Madry et al. on CIFAR-10"
    )
    random_start: bool = True

    _step = field_validator("step_size", mode="before")(parse_eps)

    def step_at(self, eps: float) -> float:
        """The ℓ∞ step at budget ``eps``: ``step_size`` if set, else ``step_size_rel × eps``."""
        return self.step_size if self.step_size is not None else self.step_size_rel * eps


class EpsSchedule(FiniteStrict):
    """The ε schedule in optimiser steps: 0 for ``warmup_steps``, then linear up to ``ramp_end``."""

    warmup_steps: int = Field(
        default=0, ge=0, description="regular training (ε = 0) for this many steps"
    )
    ramp_end: int | None = Field(
        default=None, ge=1, description="step at which ε reaches its value; null: the last step"
    )

    def at(self, step: int, eps: float, total_steps: int) -> float:
        """ε at optimiser step ``step`` (0-based) of ``total_steps``."""
        end = self.ramp_end or total_steps
        if step < self.warmup_steps or eps == 0:
            return 0.0
        return eps * min(1.0, (step - self.warmup_steps + 1) / max(1, end - self.warmup_steps))


class LRSchedule(FiniteStrict):
    """A piecewise-constant learning rate: ``values`` between ``boundaries`` (in steps)."""

    boundaries: tuple[int, ...] = Field(
        default=(), description="optimiser steps where the rate changes"
    )
    values: tuple[float, ...] = Field(
        default=(), description="len(boundaries) + 1 rates; empty: the optimiser's lr"
    )

    @model_validator(mode="after")
    def _lengths(self) -> LRSchedule:
        if self.values and len(self.values) != len(self.boundaries) + 1:
            raise ValueError("lr_schedule needs one more value than boundaries")
        if list(self.boundaries) != sorted(self.boundaries):
            raise ValueError("lr_schedule boundaries must increase")
        return self

    def at(self, step: int, base: float) -> float:
        """The learning rate at optimiser step ``step``; ``base`` when no values are given."""
        if not self.values:
            return base
        return self.values[sum(step >= b for b in self.boundaries)]


class Recipe(FiniteStrict):
    """One training recipe: method, ε and its schedule, inner attack, optimiser, epochs, seed."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    version: int = Field(ge=1)
    description: str
    method: Method
    eps: float = Field(default=0.0, ge=0, le=1, description="final ℓ∞ budget of the inner attack")
    attack: InnerAttack = InnerAttack()
    eps_schedule: EpsSchedule = EpsSchedule()
    optimizer: Literal["adam", "sgd"] = "adam"
    lr: float = Field(default=1e-3, gt=0)
    momentum: float = Field(default=0.9, ge=0)
    weight_decay: float = Field(default=0.0, ge=0)
    lr_schedule: LRSchedule = LRSchedule()
    batch_size: int = Field(default=128, ge=1)
    epochs: int = Field(default=10, ge=1)
    gamma: float = Field(
        default=0.01,
        ge=0,
        description="Int/Int2: weight of the interpretation discrepancy, eq. (8)",
    )
    regularizer_form: RegularizerForm = Field(
        default="authors",
        description="Int/Int2: 'authors' (raw CAM, renormalised weights, no ½, as the authors' "
        "train.py) or 'bench_v1' (eq. 1-scaled CAM and eq. 7's ½ factors, bench before v2)",
    )
    trades_beta: float = Field(default=1.0, ge=0)
    cutout_size_rel: float = Field(
        default=0.5, gt=0, le=1, description="Cutout: side of the square hole / image side"
    )
    seed: int = 0

    _eps = field_validator("eps", mode="before")(parse_eps)

    def digest(self) -> str:
        """A short SHA-256 of the recipe's fields: equal digests, equal training settings."""
        return hashlib.sha256(
            json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        ).hexdigest()[:12]

    def overridden(
        self,
        *,
        eps: float | None = None,
        epochs: int | None = None,
        warmup_steps: int | None = None,
    ) -> Recipe:
        """This recipe with ε, epochs or the clean warm-up replaced (None keeps it), validated anew."""
        update = {k: v for k, v in {"eps": eps, "epochs": epochs}.items() if v is not None}
        if warmup_steps is not None:
            update["eps_schedule"] = self.eps_schedule.model_dump() | {"warmup_steps": warmup_steps}
        try:
            return Recipe.model_validate(self.model_dump() | update) if update else self
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise SpecError(
                f"Recipe {self.name!r} with these overrides does not validate: {problems}."
            ) from None


def recipe_files() -> dict[str, Path]:
    """The shipped recipes, name → YAML path (``bench/training/recipes/*.yaml``)."""
    return {p.stem: p for p in sorted(RECIPE_DIR.glob("*.yaml"))}


def get_recipe(name_or_path: str) -> Recipe:
    """A shipped recipe by name, or any recipe YAML by path."""
    if name_or_path.endswith((".yaml", ".yml")):
        path = Path(name_or_path)
    else:
        files = recipe_files()
        if name_or_path not in files:
            raise UnknownNameError(
                f"Unknown recipe {name_or_path!r}.{suggest(name_or_path, list(files))} "
                f"Known: {', '.join(files)}."
            )
        path = files[name_or_path]
    if not path.is_file():
        raise SpecError(f"Recipe file {path} does not exist.")
    data, line_of = read_yaml(path)
    return validate(Recipe, data, line_of, origin=str(path))
