"""``bench submit FILE.yaml``: validate a new model's entry, evaluate it, publish its result."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    """Register ``bench submit FILE.yaml``: its options and those of ``bench evaluate``."""
    from bench.cli.options import add_run_options

    p = sub.add_parser(
        "submit",
        help="validate, evaluate and publish a model given as YAML",
        description="Submit a model: validate its entry YAML (nothing is written if it "
        "does not validate or its id is taken), evaluate it under the protocol, "
        "write the result file, and regenerate the leaderboard pages.",
    )
    p.add_argument("file", metavar="FILE.yaml", help="one registry entry (see docs/registry.md)")
    p.add_argument("--zoo", metavar="FILE", help="registry whose ids the submission must not reuse")
    p.add_argument(
        "--leaderboards", type=Path, metavar="DIR", help="leaderboard folder (default leaderboards)"
    )
    add_run_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate the entry, evaluate it under the protocol and regenerate the leaderboards."""
    from bench.cli.checks import check_output_folder
    from bench.cli.cmd_evaluate import evaluate_entry
    from bench.cli.output import stderr, stdout
    from bench.leaderboard.write import refuse_foreign_files, write_leaderboards
    from bench.results.store import DEFAULT_RESULTS_DIR
    from bench.zoo.catalog import Zoo, read_entry
    from bench.zoo.loaders import check_entry_files

    entry = read_entry(args.file)
    zoo = Zoo.load(args.zoo)
    zoo.add(entry)  # refuses an id that is already registered
    results_dir = args.results or DEFAULT_RESULTS_DIR
    out = args.leaderboards or results_dir.parent
    check_output_folder("--leaderboards", out)
    # Before the evaluation: pages this entry will certainly get must not replace a user's files.
    refuse_foreign_files(
        out,
        ["README.md", f"models/{entry.id}.md", f"{entry.dataset}-{entry.training.threat_model}.md"],
    )
    check_entry_files(entry)
    evaluate_entry(entry, zoo, args)
    written = write_leaderboards(results_dir, out)
    # with --json, stdout is the result object alone
    (stderr if args.json else stdout).print(
        f"Leaderboards updated: {len(written)} pages under {out} (see {out}/models/{entry.id}.md)"
    )
    return 0
