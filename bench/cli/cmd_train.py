"""``bench train``: train a model with a recipe and write a ready-to-submit registry entry."""

from __future__ import annotations

import argparse
from pathlib import Path


TRAINING_SETS = ("digits", "cifar10_5000", "cifar10", "mnist")  # bench.data.training's; no torch import for --help


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a model with a recipe (standard, PGD-AT, TRADES, Int, Int2, ...)",
                       description="Train an architecture on a training set with a recipe (bench/training/recipes/"
                                   "*.yaml or a YAML path). Writes <out>/model.pt (a state dict), train_log.jsonl, "
                                   "recipe.yaml and entry.yaml (a registry entry with the checkpoint's SHA-256: "
                                   "`bench evaluate --entry <out>/entry.yaml`). Rerunning the same command resumes "
                                   "from the last finished epoch.",
                       epilog="example: bench train --recipe pgd-at --dataset digits --arch digits_gap --eps 0.2 "
                              "--epochs 15")
    p.add_argument("--recipe", required=True, metavar="R", help="recipe name (see --list-recipes) or YAML path")
    p.add_argument("--dataset", required=True, choices=TRAINING_SETS, help="training images")
    p.add_argument("--arch", required=True, metavar="A", help="registered architecture (bench list --architectures)")
    p.add_argument("--arch-param", action="append", default=[], metavar="K=V", help="architecture parameter, e.g. width=32")
    p.add_argument("--eps", metavar="E", help="override the recipe's final ε (e.g. 8/255 or 0.2)")
    p.add_argument("--epochs", type=int, metavar="N", help="override the recipe's number of epochs")
    p.add_argument("--warmup-steps", type=int, metavar="S", help="override the recipe's clean warm-up (optimiser steps)")
    p.add_argument("--id", metavar="ID", help="model id for entry.yaml (default <dataset>_<arch>_<recipe>[_eps<E>])")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default runs/<id>)")
    p.add_argument("--device", default="auto", metavar="D")
    p.add_argument("--data-dir", type=Path, metavar="DIR")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(handler=run)


def _arch_params(pairs: list[str]) -> dict:
    import yaml

    from bench.errors import BenchError

    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BenchError(f"--arch-param wants KEY=VALUE, got {pair!r}.")
        params[key] = yaml.safe_load(value)
    return params


def resolved_recipe(name: str, eps: str | None, epochs: int | None, warmup_steps: int | None = None):
    """The recipe with the command line's overrides (validated like the file itself)."""
    from bench.spec import parse_eps
    from bench.training import Recipe, get_recipe

    recipe = get_recipe(name)
    update = {k: v for k, v in {"eps": parse_eps(eps) if eps is not None else None, "epochs": epochs}.items()
              if v is not None}
    if warmup_steps is not None:
        update["eps_schedule"] = recipe.eps_schedule.model_dump() | {"warmup_steps": warmup_steps}
    return Recipe.model_validate(recipe.model_dump() | update) if update else recipe


def default_id(dataset: str, arch: str, recipe, eps_given: bool) -> str:
    from bench.spec import format_eps

    eps = format_eps(recipe.eps).replace("/", "_") if recipe.eps else "0"
    return f"{dataset}_{arch}_{recipe.name.replace('-', '_')}" + (f"_eps{eps}" if eps_given or recipe.eps else "")


def run(args: argparse.Namespace) -> int:
    from bench.battery import resolve_device
    from bench.cli.output import progress_bars, stdout
    from bench.data.training import training_set
    from bench.errors import BenchError
    from bench.training import train
    from bench.zoo.architectures import ARCHITECTURES

    if args.epochs is not None and args.epochs <= 0:
        raise BenchError("--epochs must be positive.")
    ARCHITECTURES.get(args.arch)
    if args.warmup_steps is not None and args.warmup_steps < 0:
        raise BenchError("--warmup-steps must be 0 or more.")
    recipe = resolved_recipe(args.recipe, args.eps, args.epochs, args.warmup_steps)
    model_id = args.id or default_id(args.dataset, args.arch, recipe, args.eps is not None)
    out = args.out or Path("runs") / model_id
    images, labels = training_set(args.dataset, args.data_dir)
    from bench.data.training import EVALUATION_SET

    with progress_bars(enabled=not args.no_progress) as progress:
        result = train(recipe, images, labels, arch=args.arch, arch_params=_arch_params(args.arch_param),
                       dataset=EVALUATION_SET[args.dataset], out=out, model_id=model_id,
                       device=str(resolve_device(args.device)), progress=progress)
    last = result.log[-1]
    stdout.print(f"Trained {model_id}: {last['epoch'] + 1} epochs, final train accuracy {100 * last['train_acc']:.1f}%, "
                 f"ε {last['eps']:.4g}. Entry: {result.entry_path} (evaluate with "
                 f"`bench evaluate --entry {result.entry_path}`).")
    return 0
