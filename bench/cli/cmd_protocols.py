"""``bench protocols``: every shipped protocol, one line each; ``NAME`` or ``--long`` for the details.

The short listing fits any terminal width (the summary is cut with an ellipsis, never wrapped);
``--long`` prints one block per protocol (version, data set, threat, images, metrics and the full
description, wrapped); ``--json`` prints the protocols as data.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    """Register ``bench protocols [NAME]`` and its options (--long, --json)."""
    p = sub.add_parser(
        "protocols",
        help="list the shipped protocols",
        description="List the protocols shipped with bench (bench/protocols/*.yaml), one line each "
        "with the first clause of its description; `bench protocols NAME` prints one in "
        "full, --long every one with its version, images and metrics.",
    )
    p.add_argument("name", nargs="?", help="show this protocol in full (YAML, or JSON with --json)")
    p.add_argument(
        "--long",
        action="store_true",
        help="one block per protocol: version, data set, threat, images, "
        "metrics and the whole description",
    )
    p.add_argument("--json", action="store_true", help="print the protocol(s) as JSON on stdout")
    p.set_defaults(handler=run)


def summary(description: str, width: int = 90) -> str:
    """The description up to its first colon, or its first ``width`` characters."""
    head = description.split(":")[0]
    return head if len(head) <= width else head[:width].rsplit(" ", 1)[0] + " …"


def threat(protocol) -> str:
    """The protocol's threat model and ε, e.g. ``Linf 8/255`` (``(default)`` when unset)."""
    from bench.spec import format_eps

    return f"{protocol.threat_model} {format_eps(protocol.eps) if protocol.eps is not None else '(default)'}"


def run(args: argparse.Namespace) -> int:
    """Print the shipped protocols: one line each, one in full, ``--long`` or ``--json``."""
    import yaml

    from bench.cli.output import print_json, stdout
    from bench.protocols import get_protocol, protocol_files

    protocols = (
        [get_protocol(args.name)] if args.name else [get_protocol(n) for n in protocol_files()]
    )
    if args.json:
        dumps = [p.model_dump(mode="json") for p in protocols]
        print_json(dumps[0] if args.name else dumps)
    elif args.name:
        stdout.print(
            yaml.safe_dump(protocols[0].model_dump(mode="json"), sort_keys=False),
            highlight=False,
            end="",
        )
    elif args.long:
        print_long(protocols)
    else:
        print_short(protocols)
    return 0


def print_short(protocols) -> None:
    """Name and summary, one line per protocol: a borderless table on a terminal (the summary cut to the
    width), plain text in a pipe (nothing cut)."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from bench.cli.output import on_terminal, plain_rows, stdout

    rows = [(p.name, summary(p.description)) for p in protocols]
    if not on_terminal():
        stdout.file.write(plain_rows(("name", "summary"), rows))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("name", no_wrap=True, min_width=max(len(name) for name, _ in rows))
    table.add_column(
        "summary"
    )  # wrappable, so the table shrinks to the width; each cell stays one line
    for name, text in rows:
        table.add_row(escape(name), Text(text, no_wrap=True, overflow="ellipsis"))
    stdout.print(table)
    stdout.print(
        "Details: `bench protocols NAME` (one in full) or `bench protocols --long` (all).",
        style="dim",
        highlight=False,
    )


def print_long(protocols) -> None:
    """One block per protocol: a heading line, its metrics, and the whole description wrapped to the terminal."""
    from rich.markup import escape
    from rich.padding import Padding

    from bench.cli.output import stdout

    for p in protocols:
        stdout.print(
            f"[bold]{escape(p.name)}[/] v{p.version} · {p.dataset or '(the model’s data set)'} · "
            f"{escape(threat(p))} · {p.selection.n or 'all'} images",
            highlight=False,
        )
        stdout.print(
            Padding(f"metrics: {', '.join(p.metrics)}\n{escape(p.description)}", (0, 0, 1, 2)),
            highlight=False,
        )
