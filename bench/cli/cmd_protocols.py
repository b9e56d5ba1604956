"""``bench protocols``: every shipped protocol with a one-line description."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("protocols", help="list the shipped protocols",
                       description="List the protocols shipped with bench (bench/protocols/*.yaml), with the "
                                   "first clause of each description; `bench protocols NAME` prints one in full.")
    p.add_argument("name", nargs="?", help="show this protocol in full")
    p.set_defaults(handler=run)


def summary(description: str, width: int = 90) -> str:
    """The description up to its first colon, or its first ``width`` characters."""
    head = description.split(":")[0]
    return head if len(head) <= width else head[:width].rsplit(" ", 1)[0] + " …"


def run(args: argparse.Namespace) -> int:
    import yaml
    from rich.table import Table

    from bench.cli.output import stdout
    from bench.protocols import get_protocol, protocol_files
    from bench.spec import format_eps

    if args.name:
        protocol = get_protocol(args.name)
        stdout.print(yaml.safe_dump(protocol.model_dump(mode="json"), sort_keys=False), highlight=False, end="")
        return 0
    table = Table(title="protocols")
    table.add_column("name", no_wrap=True)
    for col in ("v", "dataset", "threat", "n", "metrics", "description"):
        table.add_column(col, overflow="fold")
    for name in protocol_files():
        p = get_protocol(name)
        table.add_row(p.name, str(p.version), p.dataset or "(model's)", f"{p.threat_model} {format_eps(p.eps) if p.eps is not None else '(default)'}",
                      str(p.selection.n or "all"), ", ".join(p.metrics), summary(p.description))
    stdout.print(table)
    return 0
