"""What ``bench train`` will do, read from its options and checked before any work.

The recipe with the command line's overrides, the architecture and its parameters, the model id
(given, or named after data set, architecture, recipe and ε) and the output folder.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from bench.training import Recipe


class TrainingPlan(NamedTuple):
    """A checked ``bench train`` command: recipe, architecture parameters, model id, output folder."""

    recipe: Recipe
    arch_params: dict
    model_id: str
    out: Path


def plan_training(args: argparse.Namespace) -> TrainingPlan:
    """Check ``--arch`` and its parameters, resolve the recipe and the id, check ``--out``."""
    from bench.cli.checks import check_output_folder
    from bench.zoo.architectures import ARCHITECTURES
    from bench.zoo.architectures.registry import check_params

    ARCHITECTURES.get(args.arch)
    params = arch_params(args.arch_param)
    check_params(args.arch, {"in_channels": 1, **params})  # in_channels comes from the data
    recipe = resolved_recipe(args.recipe, args.eps, args.epochs, args.warmup_steps)
    given_id = (
        args.id
        if args.id is not None
        else default_id(args.dataset, args.arch, recipe, args.eps is not None)
    )
    model_id = checked_id(given_id)
    out = args.out or Path("runs") / model_id
    check_output_folder("--out", out)
    return TrainingPlan(recipe, params, model_id, out)


def arch_params(pairs: list[str]) -> dict:
    """``--arch-param K=V`` pairs as a dict; each value is read as a YAML scalar (a number, a word, true)."""
    import yaml

    from bench.errors import BenchError

    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise BenchError(
                f"--arch-param wants KEY=VALUE with KEY a parameter name, got {pair!r}."
            )
        try:
            parsed = yaml.safe_load(value) if len(value) <= 100 else value
        except yaml.YAMLError:
            parsed = value
        if (
            not isinstance(parsed, (int, float, str, bool))
            or isinstance(parsed, float)
            and not math.isfinite(parsed)
        ):
            raise BenchError(
                f"--arch-param {key}: {value!r} is not a number, a word or true/false."
            )
        params[key] = parsed
    return params


def resolved_recipe(
    name: str, eps: str | None, epochs: int | None, warmup_steps: int | None = None
):
    """The recipe with the command line's overrides (validated like the file itself)."""
    from bench.cli.checks import parse_eps_option
    from bench.training import get_recipe

    recipe = get_recipe(name)
    eps_value = parse_eps_option("--eps", eps) if eps is not None else None
    return recipe.overridden(eps=eps_value, epochs=epochs, warmup_steps=warmup_steps)


def checked_id(model_id: str) -> str:
    """A model id that is safe as a folder name (the registry's id pattern, no '..')."""
    from bench.errors import BenchError
    from bench.zoo.schema import ID_PATTERN

    if not re.fullmatch(ID_PATTERN, model_id) or ".." in model_id:
        raise BenchError(
            f"--id {model_id!r} is not a usable model id: use 1-128 letters, digits, '_', '-' and "
            "'.', starting with a letter or digit, without '/' or '..' (it becomes a folder name)."
        )
    return model_id


def default_id(dataset: str, arch: str, recipe, eps_given: bool) -> str:
    """``<dataset>_<arch>_<recipe>``, with ``_eps<ε>`` when ε is given or the recipe has one."""
    from bench.spec import format_eps

    eps = format_eps(recipe.eps).replace("/", "_") if recipe.eps else "0"
    return f"{dataset}_{arch}_{recipe.name.replace('-', '_')}" + (
        f"_eps{eps}" if eps_given or recipe.eps else ""
    )
