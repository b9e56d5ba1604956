"""``bench show ID``: one registry entry in full, as YAML."""

from __future__ import annotations

import argparse

from bench.cli.options import add_zoo


def add_parser(sub) -> None:
    """Register ``bench show ID`` and its options (--zoo, --json)."""
    p = sub.add_parser(
        "show", help="show one registry entry", description="Show one registry entry in full."
    )
    p.add_argument("model", metavar="ID", help="model id (see `bench list`)")
    add_zoo(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print one registry entry in full, as YAML (or JSON), defaults left out."""
    import sys

    import yaml

    from bench.cli.output import print_json
    from bench.zoo.catalog import Zoo

    entry = Zoo.load(args.zoo).get(args.model).model_dump(mode="json", exclude_defaults=True)
    if args.json:
        print_json(entry)
    else:
        # plain text, not a rich console: rich wraps at the terminal width (80 in a pipe), which breaks YAML
        sys.stdout.write(yaml.safe_dump(entry, sort_keys=False, width=100, allow_unicode=True))
    return 0
