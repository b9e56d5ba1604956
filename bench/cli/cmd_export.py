"""``bench export robustbench RESULT [--out F]``: a RobustBench ``model_info`` JSON from a bench result.

The record (:mod:`bench.zoo.robustbench_export`) goes to stdout, or to ``--out``; an existing
file is replaced only when it is an earlier export of bench (its footnote says so).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    """Register ``bench export robustbench RESULT`` and its options."""
    p = sub.add_parser(
        "export",
        help="export a result for another leaderboard",
        description="Export a bench result in another leaderboard's format.",
    )
    formats = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    rb = formats.add_parser(
        "robustbench",
        help="a RobustBench model_info JSON from an AutoAttack result",
        description="Write RobustBench's model_info JSON (clean_acc, autoattack_acc, paper "
        "fields) from a bench result holding one AutoAttack value.",
    )
    rb.add_argument(
        "result",
        type=Path,
        metavar="RESULT",
        help="a result file (leaderboards/results/<id>/<protocol>.json)",
    )
    rb.add_argument(
        "--out", type=Path, metavar="FILE", help="write the JSON here (default: stdout)"
    )
    rb.add_argument(
        "--additional-data",
        choices=("yes", "no"),
        help="trained with extra data (default: as recorded)",
    )
    rb.add_argument(
        "--forward-passes",
        type=int,
        metavar="N",
        help="forward passes per prediction (default: 1)",
    )
    rb.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the RobustBench ``model_info`` JSON of one result to stdout or ``--out``."""
    from bench.cli.output import print_json, stderr
    from bench.errors import SpecError
    from bench.results import read_result
    from bench.zoo.robustbench_export import is_full_test_set, model_info_from_result

    if args.forward_passes is not None and args.forward_passes < 1:
        raise SpecError(f"--forward-passes must be at least 1, got {args.forward_passes}.")
    result = read_result(args.result)
    extra = None if args.additional_data is None else args.additional_data == "yes"
    record = model_info_from_result(
        result, additional_data=extra, forward_passes=args.forward_passes
    )
    if not is_full_test_set(result):
        stderr.print(
            f"[yellow]warning:[/] {args.result} covers fewer images than RobustBench's leaderboard uses "
            "(the footnote says how many); evaluate on the full test set before submitting.",
            highlight=False,
            soft_wrap=True,
        )
    if args.out is None:
        print_json(record)
        return 0
    _refuse_foreign(args.out)
    from bench.results.store import write_json_atomic

    write_json_atomic(args.out, record)
    stderr.print(f"wrote {args.out}", highlight=False, soft_wrap=True)
    return 0


def _refuse_foreign(path: Path) -> None:
    """Refuse to replace a file bench did not write (anything but an earlier export)."""
    import json

    from bench.errors import SpecError

    if not path.exists():
        return
    try:
        ours = "Evaluated with bench" in json.loads(path.read_text(encoding="utf-8")).get(
            "footnote", ""
        )
    except (OSError, ValueError, AttributeError):
        ours = False
    if not ours:
        raise SpecError(
            f"{path} exists and is not a bench export; choose another --out or remove it."
        )
