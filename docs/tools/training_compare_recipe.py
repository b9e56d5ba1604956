"""Write one recipe of the equal-budget training comparison (docs/training.md, training_compare.sh).

A shipped recipe (``bench/training/recipes``) with the study's budget put into it: epochs, the
clean warm-up and the step at which ε reaches its final value (paper 001, App. D's schedule
shape), the recipe seed, optionally the inner attack's number of steps (for every method that
attacks; standard training has no inner attack, so its recipe keeps the field unchanged) and, for
Int/Int2, γ (eq. 8). The result is validated by bench's own
``Recipe`` schema. A file that is already there is kept when it holds exactly this recipe (so
``bench train`` resumes from its ``state.pt``) and refused otherwise, never overwritten.

Usage: python docs/tools/training_compare_recipe.py BASE OUT --epochs E --warmup-steps W
       --ramp-end R --seed S [--attack-steps K] [--gamma G] [--name NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from bench.errors import BenchError
from bench.training import Recipe, get_recipe


def study_recipe(
    base: str,
    *,
    epochs: int,
    warmup_steps: int,
    ramp_end: int,
    seed: int,
    gamma: float | None = None,
    name: str | None = None,
    attack_steps: int | None = None,
) -> Recipe:
    """``base`` with the study's epochs, ε schedule, seed, inner-attack steps and (for the Int family) γ."""
    recipe = get_recipe(base)
    steps = (
        attack_steps
        if attack_steps is not None and recipe.method != "standard"
        else recipe.attack.steps
    )
    update = {
        "epochs": epochs,
        "seed": seed,
        "eps_schedule": {"warmup_steps": warmup_steps, "ramp_end": ramp_end},
        "attack": recipe.attack.model_dump() | {"steps": steps},
        "description": f"{recipe.description} Equal-budget comparison (docs/tools/training_compare.sh): "
        f"{epochs} epochs, {warmup_steps} warm-up steps, eps reached at step {ramp_end}, "
        + (f"{steps}-step inner attack, " if recipe.method != "standard" else "")
        + f"seed {seed}"
        + (f"; gamma set to {gamma}" if gamma is not None else "")
        + ".",
    }
    if name:
        update["name"] = name
    if gamma is not None:
        update["gamma"] = gamma
    return Recipe.model_validate(recipe.model_dump() | update)


def write_once(recipe: Recipe, out: Path) -> None:
    """Write ``recipe`` to ``out`` unless the file holds it already; refuse to replace anything else."""
    text = yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False)
    if out.exists():
        if out.read_text() != text:
            raise BenchError(
                f"{out} exists and holds a different recipe; remove it (and its run) to change the study."
            )
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("base")
    p.add_argument("out", type=Path)
    for flag in ("--epochs", "--warmup-steps", "--ramp-end", "--seed"):
        p.add_argument(flag, type=int, required=True)
    p.add_argument("--attack-steps", type=int)
    p.add_argument("--gamma", type=float)
    p.add_argument("--name")
    args = p.parse_args(argv)
    try:
        recipe = study_recipe(
            args.base,
            epochs=args.epochs,
            warmup_steps=args.warmup_steps,
            ramp_end=args.ramp_end,
            seed=args.seed,
            gamma=args.gamma,
            name=args.name,
            attack_steps=args.attack_steps,
        )
        write_once(recipe, args.out)
    except (BenchError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
