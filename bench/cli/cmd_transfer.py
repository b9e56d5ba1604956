"""``bench transfer``: craft noise/occlusion attacks on each model, evaluate them on the others (paper 000, A.4)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.cli.options import add_batch_size, add_device, add_no_progress


def add_parser(sub) -> None:
    """Register ``bench transfer`` and its options (--models, --protocol, --n-examples, ...)."""
    p = sub.add_parser(
        "transfer",
        help="transferability of the inductive noise/occlusion attacks",
        description="Craft the inductive noise and occlusion attacks of an inequality protocol on "
        "each model and evaluate the corrupted images on every model (paper 000, "
        "appendix A.4). Images are those all models classify correctly. Prints a table "
        "per attack; --out writes it as markdown.",
        epilog="example: bench transfer --models cifar_smallgap_normal cifar_smallgap_adv "
        "--protocol cifar10-inequality-code --n-examples 200",
    )
    _add_experiment_options(p)
    add_batch_size(p)
    add_device(p)
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of the image selection and the attacks (default 0)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="torchvision / ImageNet data folder (default: the "
        "shared assets, else $BENCH_CACHE/data)",
    )
    p.add_argument("--zoo", metavar="FILE", help="registry file (default: model_zoo.yaml)")
    p.add_argument("--out", type=Path, metavar="FILE", help="also write the tables as markdown")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    add_no_progress(p)
    p.set_defaults(handler=run)


def _add_experiment_options(p: argparse.ArgumentParser) -> None:
    """Which models, which inequality protocol, how many candidate images."""
    p.add_argument(
        "--models", nargs="+", required=True, metavar="ID", help="two or more registry ids"
    )
    p.add_argument(
        "--protocol",
        metavar="P",
        help="an inequality protocol (default: <dataset>-inequality-code)",
    )
    p.add_argument(
        "--n-examples",
        type=int,
        metavar="N",
        help="candidate images before keeping the correct ones",
    )


def run(args: argparse.Namespace) -> int:
    """Craft the noise/occlusion attacks on each model and count how often they fool every model.

    Paper 000, appendix A.4 (transferability); images are those every model classifies
    correctly. Prints the tables, or the counts as JSON; ``--out`` writes the markdown.
    """
    from bench.cli.output import progress_bars
    from bench.results.store import write_text_atomic
    from bench.transfer import render_markdown, transfer_table

    entries, protocol = _entries_and_protocol(args)
    with progress_bars(enabled=not args.no_progress) as progress:  # on stderr, also with --json
        table = transfer_table(
            entries,
            protocol,
            batch_size=args.batch_size,
            device=args.device,
            seed=args.seed,
            data_dir=args.data_dir,
            progress=progress,
        )
    text = render_markdown(
        table, f"Transfer under `{protocol.name}` (digest `{protocol.digest()}`, seed {args.seed})"
    )
    if args.out:
        write_text_atomic(args.out, text + "\n")
    _print(table, text, protocol, args.json)
    return 0


def _entries_and_protocol(args: argparse.Namespace) -> tuple[list, object]:
    """The distinct ``--models`` entries and the protocol resolved for the first one's data set."""
    from bench.errors import BenchError
    from bench.protocols import get_protocol
    from bench.zoo.catalog import Zoo

    if len(set(args.models)) < 2:
        raise BenchError("--models needs at least two different model ids.")
    if args.n_examples is not None and args.n_examples <= 0:
        raise BenchError("--n-examples must be a positive number of images.")
    zoo = Zoo.load(args.zoo)
    entries = [zoo.get(m) for m in dict.fromkeys(args.models)]
    protocol = get_protocol(args.protocol or f"{entries[0].dataset}-inequality-code")
    protocol = protocol.resolve(entries[0].dataset, n_examples=args.n_examples, seed=args.seed)
    return entries, protocol


def _print(table, text: str, protocol, as_json: bool) -> None:
    """The counts as JSON on stdout, or the markdown tables rendered for the terminal."""
    from bench.cli.output import print_json, stdout

    if as_json:
        print_json(
            {
                "protocol": protocol.name,
                "digest": protocol.digest(),
                "models": table.models,
                "sample_ids": table.sample_ids,
                "counts": table.counts,
            }
        )
    else:
        from rich.markdown import Markdown

        stdout.print(Markdown(text))
