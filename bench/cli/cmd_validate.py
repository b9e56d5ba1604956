"""``bench validate FILE...``: check registry files, submitted entries and protocols without running anything."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    """Register ``bench validate FILE...``."""
    p = sub.add_parser(
        "validate",
        help="validate YAML files (entries, registries, protocols)",
        description="Validate YAML files: a submitted entry (one mapping), a registry "
        "(schema_version + models), or a protocol (has 'metrics'). Every "
        "problem is reported with its field and line.",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="YAML files: entries, registries or protocols"
    )
    p.set_defaults(handler=run)


def validate_file(path: str) -> str:
    """Validate one file by its kind; return a one-line summary."""
    from bench.protocols import read_protocol
    from bench.yamlio import read_yaml
    from bench.zoo.catalog import read_entry, read_zoo

    data, _ = read_yaml(path)
    if isinstance(data, dict) and "models" in data:
        return f"registry with {len(read_zoo(path))} valid entries"
    if isinstance(data, dict) and "metrics" in data:
        p = read_protocol(path)
        return f"protocol {p.name} v{p.version}"
    return f"entry {read_entry(path).id}"


def run(args: argparse.Namespace) -> int:
    """Validate each file, reporting each problem; exit 2 if any file fails."""
    from bench.cli.output import report_error, stdout
    from bench.errors import BenchError

    failed = 0
    for path in args.files:
        try:
            stdout.print(f"[green]ok[/] {path}: {validate_file(path)}", highlight=False)
        except BenchError as exc:
            failed += 1
            report_error(str(exc))
    return 2 if failed else 0
