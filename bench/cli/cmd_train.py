"""``bench train``: train a model with a recipe and write a ready-to-submit registry entry."""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

TRAINING_SETS = (
    "digits",
    "cifar10_5000",
    "cifar10",
    "mnist",
)  # bench.data.training's; no torch import for --help


def add_parser(sub) -> None:
    """Register ``bench train`` and its options (--recipe, --dataset, --arch, --eps, ...)."""
    p = sub.add_parser(
        "train",
        help="train a model with a recipe (standard, PGD-AT, TRADES, Int, Int2, ...)",
        description="Train an architecture on a training set with a recipe (bench/training/recipes/"
        "*.yaml or a YAML path). Writes <out>/model.pt (a state dict), train_log.jsonl, "
        "recipe.yaml and entry.yaml (a registry entry with the checkpoint's SHA-256: "
        "`bench evaluate --entry <out>/entry.yaml`). Rerunning the same command resumes "
        "from the last finished epoch.",
        usage="bench train --recipe R --dataset D --arch A [options]\n       bench train --list-recipes",
        epilog="example: bench train --recipe pgd-at --dataset digits --arch digits_gap --eps 0.2 "
        "--epochs 15",
    )
    p.add_argument("--list-recipes", action="store_true", help="list the shipped recipes and exit")
    p.add_argument(
        "--recipe", metavar="R", help="recipe name (see --list-recipes) or YAML path (required)"
    )
    p.add_argument("--dataset", choices=TRAINING_SETS, help="training images (required)")
    p.add_argument(
        "--arch",
        metavar="A",
        help="registered architecture, see `bench list --architectures` (required)",
    )
    p.add_argument(
        "--arch-param",
        action="append",
        default=[],
        metavar="K=V",
        help="architecture parameter, e.g. width=32",
    )
    p.add_argument("--eps", metavar="E", help="override the recipe's final ε (e.g. 8/255 or 0.2)")
    p.add_argument("--epochs", type=int, metavar="N", help="override the recipe's number of epochs")
    p.add_argument(
        "--warmup-steps",
        type=int,
        metavar="S",
        help="override the recipe's clean warm-up (optimiser steps)",
    )
    p.add_argument(
        "--id",
        metavar="ID",
        help="model id for entry.yaml (default <dataset>_<arch>_<recipe>[_eps<E>])",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default runs/<id>)")
    p.add_argument(
        "--device",
        default="auto",
        metavar="D",
        help="auto (CUDA when present; default), cpu, cuda, cuda:N or mps",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="folder of torchvision's CIFAR-10 / MNIST training files (default: $BENCH_CACHE/data)",
    )
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bars (they go to stderr)"
    )
    p.set_defaults(handler=run)


def _arch_params(pairs: list[str]) -> dict:
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
    from pydantic import ValidationError

    from bench.cli.checks import parse_eps_option
    from bench.errors import SpecError
    from bench.training import Recipe, get_recipe

    recipe = get_recipe(name)
    update = {
        k: v
        for k, v in {
            "eps": parse_eps_option("--eps", eps) if eps is not None else None,
            "epochs": epochs,
        }.items()
        if v is not None
    }
    if warmup_steps is not None:
        update["eps_schedule"] = recipe.eps_schedule.model_dump() | {"warmup_steps": warmup_steps}
    try:
        return Recipe.model_validate(recipe.model_dump() | update) if update else recipe
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SpecError(
            f"Recipe {recipe.name!r} with these overrides does not validate: {problems}."
        ) from None


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


def list_recipes() -> int:
    """``--list-recipes``: each shipped recipe with its method, final ε, epochs and the first clause of its description."""
    from bench.cli.cmd_protocols import summary
    from bench.cli.output import print_rows
    from bench.spec import format_eps
    from bench.training import get_recipe
    from bench.training.recipe import recipe_files

    recipes = [get_recipe(name) for name in recipe_files()]
    print_rows(
        ("recipe", "method", "ε", "epochs", "summary"),
        [
            (
                r.name,
                r.method,
                format_eps(r.eps) if r.eps else "-",
                str(r.epochs),
                summary(r.description, 70),
            )
            for r in recipes
        ],
        title="training recipes (bench/training/recipes)",
        no_wrap=("recipe",),
    )
    return 0


def check_required(args: argparse.Namespace) -> None:
    """Raise BenchError unless ``--recipe``, ``--dataset`` and ``--arch`` are all given."""
    from bench.errors import BenchError

    missing = [
        flag for flag in ("--recipe", "--dataset", "--arch") if getattr(args, flag[2:]) is None
    ]
    if missing:
        raise BenchError(
            f"bench train needs {', '.join(missing)} (see `bench train --help`; recipes: "
            "`bench train --list-recipes`)."
        )


def run(args: argparse.Namespace) -> int:
    """List the recipes (``--list-recipes``), or train a model."""
    if args.list_recipes:
        return list_recipes()
    check_required(args)
    return train_model(args)


def train_model(args: argparse.Namespace) -> int:
    """Train ``--arch`` on ``--dataset`` with the resolved recipe; write weights and entry."""
    from bench.cli.checks import check_output_folder
    from bench.cli.output import progress_bars, stdout
    from bench.data.training import training_set
    from bench.devices import resolve_device
    from bench.training import train
    from bench.zoo.architectures import ARCHITECTURES
    from bench.zoo.architectures.registry import check_params

    ARCHITECTURES.get(args.arch)
    params = _arch_params(args.arch_param)
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
    images, labels = training_set(args.dataset, args.data_dir)
    from bench.data.training import EVALUATION_SET

    with progress_bars(enabled=not args.no_progress) as progress:
        result = train(
            recipe,
            images,
            labels,
            arch=args.arch,
            arch_params=params,
            dataset=EVALUATION_SET[args.dataset],
            out=out,
            model_id=model_id,
            device=str(resolve_device(args.device)),
            progress=progress,
        )
    last = result.log[-1]
    stdout.print(
        f"Trained {model_id}: {last['epoch'] + 1} epochs, final train accuracy {100 * last['train_acc']:.1f}%, "
        f"ε {last['eps']:.4g}. Entry: {result.entry_path} (evaluate with "
        f"`bench evaluate --entry {result.entry_path}`)."
    )
    return 0
