"""``bench list``: the registry as a table (or the registered loaders / architectures / metrics).

On a terminal a rich table; in a pipe one model per line, its id unwrapped (``bench list | grep ID``).
"""

from __future__ import annotations

import argparse

from bench.cli.options import add_zoo


def add_parser(sub) -> None:
    """Register ``bench list`` and its options (--dataset, --robustbench, --loaders, ...)."""
    p = sub.add_parser(
        "list", help="list registered models", description="List the models of the registry."
    )
    p.add_argument("--dataset", help="only models of this data set (cifar10, mnist, imagenet, ...)")
    p.add_argument(
        "--robustbench",
        action="store_true",
        help="also list every RobustBench zoo entry (slow import)",
    )
    p.add_argument("--loaders", action="store_true", help="list registered loaders instead")
    p.add_argument(
        "--architectures", action="store_true", help="list registered architectures instead"
    )
    p.add_argument("--metrics", action="store_true", help="list registered metrics instead")
    add_zoo(p)
    p.add_argument("--json", action="store_true", help="print the entries as JSON")
    p.set_defaults(handler=run)


def _names(args: argparse.Namespace) -> list[str] | None:
    if args.loaders:
        from bench.zoo.loaders import LOADERS

        return LOADERS.names()
    if args.architectures:
        from bench.zoo.architectures import ARCHITECTURES

        return ARCHITECTURES.names()
    if args.metrics:
        from bench.metrics import METRICS

        return METRICS.names()
    return None


def run(args: argparse.Namespace) -> int:
    """Print the registry's models as a table or JSON, or the names of a registry of code."""
    from bench.cli.output import on_terminal, print_json, print_rows, stdout
    from bench.zoo.catalog import Zoo, robustbench_entries

    names = _names(args)
    if names is not None:
        stdout.print("\n".join(names))
        return 0
    entries = dict(Zoo.load(args.zoo).entries)
    if args.robustbench:
        entries.update(robustbench_entries())
    shown = [e for e in entries.values() if not args.dataset or e.dataset == args.dataset]
    if args.json:
        print_json([e.model_dump(mode="json") for e in shown])
        return 0
    print_rows(
        ("id", "dataset", "training", "ε", "loader", "architecture"),
        [_row(e) for e in shown],
        title=f"bench registry ({len(shown)} models)",
        no_wrap=("id",),
    )
    if not args.robustbench and on_terminal():
        stdout.print("RobustBench's own zoo entries are listed with --robustbench.", style="dim")
    return 0


def _row(entry) -> tuple[str, ...]:
    from bench.spec import format_eps

    t = entry.training
    threat = "-" if t.threat_model == "none" else f"{t.threat_model} {format_eps(t.eps)}"
    return (
        entry.id,
        entry.dataset,
        t.method,
        threat,
        entry.source.loader,
        entry.architecture.name if entry.architecture else "-",
    )
