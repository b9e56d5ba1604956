"""``bench demo``: train a standard and a few PGD-AT models, run the battery, show whether inequality grows with ε.

On scikit-learn's bundled digits it needs no assets and no network and takes a few minutes on
2 CPU cores. With the shared CIFAR-10 images (``--dataset cifar10``) it runs the same study on
the 5000 shared training images with paper 001's ``smallgap`` network (much longer on CPU).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import NamedTuple

from bench.cli.options import add_device, add_no_progress


class Study(NamedTuple):
    """One demo study: what is trained, at which ε, and the protocol that evaluates it."""

    training_set: str
    arch: str
    recipes: tuple[str, str]  # the standard one, the adversarial one
    default_eps: tuple[str, ...]
    protocol: str
    n_examples: int | None  # None: the protocol's own


STUDIES = {
    "digits": Study(
        "digits",
        "digits_gap",
        ("digits-standard", "digits-pgd-at"),
        ("0.1", "0.2", "0.3"),
        "digits-battery-linf",
        None,
    ),
    "cifar10": Study(
        "cifar10_5000",
        "smallgap",
        ("standard", "pgd-at"),
        ("2/255", "4/255", "8/255"),
        "cifar10-inequality-code",
        500,
    ),
}


def add_parser(sub) -> None:
    """Register ``bench demo`` and its options (--dataset, --eps, --epochs, --out, ...)."""
    p = sub.add_parser(
        "demo",
        help="offline demo: train standard + PGD-AT models, evaluate, write a leaderboard",
        description="Train a standard model and PGD-AT models at a few ε, evaluate each with the "
        "battery (clean and PGD accuracy, Gini, noise and occlusion attacks) and write a "
        "leaderboard that shows whether inequality grows with ε. The default data set, "
        "scikit-learn's digits, needs no download. Rerun to resume after an interruption.",
        epilog="example: bench demo            (about 3 minutes on 2 CPU cores)",
    )
    p.add_argument(
        "--dataset",
        choices=sorted(STUDIES),
        default="digits",
        help="digits (offline, minutes) or cifar10 (the shared 5000 training images; long on CPU)",
    )
    p.add_argument(
        "--eps",
        nargs="+",
        metavar="E",
        help="ε of the PGD-AT models (default: 0.1 0.2 0.3 on digits, "
        "2/255 4/255 8/255 on CIFAR-10)",
    )
    p.add_argument("--epochs", type=int, metavar="N", help="override the recipes' epochs")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("bench-demo"),
        metavar="DIR",
        help="where models, results and the leaderboard go (default ./bench-demo)",
    )
    add_device(p)
    add_no_progress(p)
    p.set_defaults(handler=run)


def _verdict(results) -> str:
    """Does Gini-g rise with the training ε? Each step is a paired comparison on the same images
    (bootstrap interval and permutation p-value of the difference), so the verdict does not follow noise."""
    import numpy as np

    from bench.leaderboard.columns import cell
    from bench.stats import compare_paired

    ordered = sorted(results, key=lambda r: r.model.training.eps or 0.0)
    lines, significant = [], []
    for a, b in zip(ordered, ordered[1:]):
        ga, gb = (
            np.array(
                [
                    np.nan if g is None else g
                    for g in r.details["inequality"]["per_image"]["gini_global"]
                ]
            )
            for r in (a, b)
        )
        c = compare_paired(gb, ga, n_resamples=5000, seed=0)
        va, vb = a.value("gini_global"), b.value("gini_global")
        verdict = ("rises" if c.ci_low > 0 else "falls" if c.ci_high < 0 else "changes by") + (
            ""
            if c.ci_low > 0 or c.ci_high < 0
            else " a difference that is not significant at this size"
        )
        significant.append(c.ci_low > 0)
        lines.append(
            f"Gini-g {verdict}: ε {_eps(a)} {cell(va)} → ε {_eps(b)} {cell(vb)}; "
            f"difference {c.difference:+.3f} [{c.ci_low:+.3f}, {c.ci_high:+.3f}], p = {c.p_value:.3g} "
            f"(paired, {c.n_images} images)."
        )
    overall = (
        "Inequality grows with ε at every step (each difference's 95% interval is above 0)."
        if all(significant)
        else "Inequality does not grow significantly with ε at every step here."
    )
    return "\n".join(lines + [overall])


def _eps(result) -> str:
    return f"{result.model.training.eps or 0:g}"


def _summary(results, protocol_name: str):
    """The battery's measures as rows, one column per model (train ε), so it fits an 80-column terminal
    (the intervals are on the board and in the verdict)."""
    from rich.table import Table

    from bench.leaderboard.columns import BATTERY_COLUMNS, BATTERY_UNITS, cell

    table = Table(title=f"bench demo · {protocol_name}", title_justify="left")
    table.add_column("measure", no_wrap=True)
    for r in results:
        table.add_column(f"train ε {_eps(r)}", justify="right", no_wrap=True)
    for c in BATTERY_COLUMNS:
        if any(c.pick(r.values) for r in results):
            table.add_row(
                c.header(BATTERY_UNITS.get(c.label, "share")),
                *(cell(c.pick(r.values), interval=False) for r in results),
            )
    return table


def check_eps_list(eps: list[str] | None) -> None:
    """Each ``--eps`` a finite ε in (0, 1], given once (each names a model folder)."""
    from bench.cli.checks import parse_eps_option
    from bench.errors import BenchError

    odd = [e for e in eps or [] if not re.fullmatch(r"[0-9.eE+\-/]+", e)]
    if odd:
        raise BenchError(
            f"--eps {odd[0]!r}: write ε with digits only, as 0.3 or 8/255 (it names a model folder)."
        )
    values = [parse_eps_option("--eps", e) for e in eps or []]
    if any(v == 0 for v in values):
        raise BenchError(
            "--eps 0 is the standard model, which the demo always trains; give ε above 0."
        )
    if len(set(values)) < len(values):
        raise BenchError(f"--eps lists the same ε twice ({' '.join(eps)}); give each once.")


def run(args: argparse.Namespace) -> int:
    """Train the standard and PGD-AT models, run the battery on each, write the leaderboard.

    Prints the battery's values per model and whether Gini-g grows with the training ε
    (paper 000, §4.2, Table 1), each step a paired comparison on the same images.
    """
    from bench.cli.output import progress_bars, stdout
    from bench.data.training import EVALUATION_SET, training_set
    from bench.leaderboard.write import write_leaderboards
    from bench.protocols import get_protocol

    study = STUDIES[args.dataset]
    check_eps_list(args.eps)
    dataset = EVALUATION_SET[study.training_set]
    data = training_set(study.training_set)
    protocol = get_protocol(study.protocol).resolve(dataset, n_examples=study.n_examples)
    standard, adversarial = study.recipes
    plan = [(standard, None)] + [(adversarial, e) for e in (args.eps or study.default_eps)]
    with progress_bars(enabled=not args.no_progress) as progress:
        results = [
            _train_and_evaluate(args, study, data, protocol, progress, recipe_name, eps)
            for recipe_name, eps in plan
        ]
    written = write_leaderboards(args.out / "results", args.out / "leaderboards")
    stdout.print(_summary(results, protocol.name))
    stdout.print(_verdict(results))
    stdout.print(
        f"Wrote {len(written)} pages under {args.out / 'leaderboards'}; models and entries under "
        f"{args.out / 'models'}."
    )
    return 0


def _train_and_evaluate(args, study: Study, data, protocol, progress, recipe_name: str, eps):
    """Train one model of the study (``eps`` None: the standard one), then run the battery on it."""
    from bench.battery import run_battery
    from bench.cli.train_plan import resolved_recipe
    from bench.data.training import EVALUATION_SET
    from bench.devices import resolve_device
    from bench.training import train
    from bench.zoo.catalog import read_entry

    dataset = EVALUATION_SET[study.training_set]
    recipe = resolved_recipe(recipe_name, eps, args.epochs)
    model_id = f"demo_{dataset}_{recipe.method}" + (f"_eps{eps.replace('/', '_')}" if eps else "")
    images, labels = data
    trained = train(
        recipe,
        images,
        labels,
        arch=study.arch,
        dataset=dataset,
        out=args.out / "models" / model_id,
        model_id=model_id,
        device=str(resolve_device(args.device)),
        progress=progress,
    )
    return run_battery(
        read_entry(trained.entry_path),
        protocol,
        results_dir=args.out / "results",
        device=args.device,
        progress=progress,
        command=["demo", model_id],
    )
