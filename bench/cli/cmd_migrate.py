"""``bench migrate``: rewrite version-1 result files as version 2 (value records with intervals)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.cli.options import add_results_input


def add_parser(sub) -> None:
    """Register ``bench migrate`` and its options (--results, --check)."""
    p = sub.add_parser(
        "migrate",
        help="upgrade result files to the current schema (version 2)",
        description="Rewrite every version-1 result file under the results folder as version 2: "
        "each value becomes a record with its identity, direction, n and 95%% interval, "
        "rebuilt from the file's own values and per-image details (nothing is "
        "recomputed from images). Version-2 files are left as they are. Only files "
        "bench wrote (result files) are touched.",
    )
    add_results_input(p)
    p.add_argument(
        "--check",
        action="store_true",
        help="only report how many files would change; exit 1 if any",
    )
    p.set_defaults(handler=run)


def migrate(results_dir: Path, check: bool = False) -> tuple[int, int]:
    """(files upgraded or to upgrade, files already current) under ``results_dir``."""
    import json

    from bench.results import read_result, write_result

    old = current = 0
    for path in sorted(
        p for p in results_dir.glob("*/*.json") if not p.name.endswith(".partial.json")
    ):
        version = json.loads(path.read_text(encoding="utf-8")).get("schema_version")
        if version == 2:
            current += 1
            continue
        result = read_result(path)  # validates and upgrades; raises a clear error on a foreign file
        old += 1
        if not check:
            write_result(results_dir, result)
    return old, current


def run(args: argparse.Namespace) -> int:
    """Upgrade the version-1 result files; with ``--check``, exit 1 if any would change."""
    from bench.cli.output import stdout
    from bench.errors import MissingFileError
    from bench.results.store import DEFAULT_RESULTS_DIR

    results_dir = args.results or DEFAULT_RESULTS_DIR
    if not results_dir.is_dir():
        raise MissingFileError(f"No result files: {results_dir} does not exist.")
    old, current = migrate(results_dir, args.check)
    verb = "would upgrade" if args.check else "upgraded"
    stdout.print(
        f"{verb} {old} version-1 result files; {current} already at version 2 under {results_dir}."
    )
    return 1 if args.check and old else 0
