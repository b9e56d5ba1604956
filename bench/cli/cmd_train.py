"""``bench train``: train a model with a recipe and write a ready-to-submit registry entry."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.cli.options import add_device, add_no_progress

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
    _add_model_options(p)
    _add_recipe_overrides(p)
    _add_output_options(p)
    p.set_defaults(handler=run)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """What is trained: the recipe (or ``--list-recipes``), the training set, the architecture."""
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


def _add_recipe_overrides(p: argparse.ArgumentParser) -> None:
    """``--eps``, ``--epochs``, ``--warmup-steps``: the recipe's values replaced for this run."""
    p.add_argument("--eps", metavar="E", help="override the recipe's final ε (e.g. 8/255 or 0.2)")
    p.add_argument("--epochs", type=int, metavar="N", help="override the recipe's number of epochs")
    p.add_argument(
        "--warmup-steps",
        type=int,
        metavar="S",
        help="override the recipe's clean warm-up (optimiser steps)",
    )


def _add_output_options(p: argparse.ArgumentParser) -> None:
    """The model id and output folder, the device, the data folder, the progress bars."""
    p.add_argument(
        "--id",
        metavar="ID",
        help="model id for entry.yaml (default <dataset>_<arch>_<recipe>[_eps<E>])",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default runs/<id>)")
    add_device(p)
    p.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="folder of torchvision's CIFAR-10 / MNIST training files (default: $BENCH_CACHE/data)",
    )
    add_no_progress(p)


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
    from bench.cli.output import progress_bars
    from bench.cli.train_plan import plan_training
    from bench.data.training import EVALUATION_SET, training_set
    from bench.devices import resolve_device
    from bench.training import train

    plan = plan_training(args)
    images, labels = training_set(args.dataset, args.data_dir)
    with progress_bars(enabled=not args.no_progress) as progress:
        result = train(
            plan.recipe,
            images,
            labels,
            arch=args.arch,
            arch_params=plan.arch_params,
            dataset=EVALUATION_SET[args.dataset],
            out=plan.out,
            model_id=plan.model_id,
            device=str(resolve_device(args.device)),
            progress=progress,
        )
    _report(plan.model_id, result)
    return 0


def _report(model_id: str, result) -> None:
    """One line: epochs, final train accuracy and ε, and how to evaluate the written entry."""
    from bench.cli.output import stdout

    last = result.log[-1]
    stdout.print(
        f"Trained {model_id}: {last['epoch'] + 1} epochs, final train accuracy {100 * last['train_acc']:.1f}%, "
        f"ε {last['eps']:.4g}. Entry: {result.entry_path} (evaluate with "
        f"`bench evaluate --entry {result.entry_path}`)."
    )
