"""``bench list``: the registry as a table (or the registered loaders / architectures / metrics)."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("list", help="list registered models", description="List the models of the registry.")
    p.add_argument("--dataset", help="only models of this data set (cifar10, mnist, imagenet, ...)")
    p.add_argument("--robustbench", action="store_true", help="also list every RobustBench zoo entry (slow import)")
    p.add_argument("--loaders", action="store_true", help="list registered loaders instead")
    p.add_argument("--architectures", action="store_true", help="list registered architectures instead")
    p.add_argument("--metrics", action="store_true", help="list registered metrics instead")
    p.add_argument("--zoo", metavar="FILE", help="registry file (default: model_zoo.yaml; $BENCH_ZOO)")
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
    from rich.table import Table

    from bench.cli.output import print_json, stdout
    from bench.spec import format_eps
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
    table = Table(title=f"bench registry ({len(shown)} models)")
    for col in ("id", "dataset", "training", "ε", "loader", "architecture"):
        table.add_column(col, overflow="fold")
    for e in shown:
        t = e.training
        table.add_row(e.id, e.dataset, t.method, "-" if t.threat_model == "none" else f"{t.threat_model} {format_eps(t.eps)}",
                      e.source.loader, e.architecture.name if e.architecture else "-")
    stdout.print(table)
    if not args.robustbench:
        stdout.print("RobustBench's own zoo entries are listed with --robustbench.", style="dim")
    return 0
