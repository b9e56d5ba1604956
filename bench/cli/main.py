"""Entry point of the ``bench`` console script.

Heavy imports (torch, robustbench) happen inside the sub-commands, so ``bench --help`` is
instant. User errors (:class:`bench.errors.BenchError`) print one paragraph and exit 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys

from bench import __version__
from bench.cli import (cmd_demo, cmd_evaluate, cmd_leaderboard, cmd_list, cmd_protocols, cmd_show, cmd_submit, cmd_table,
                       cmd_train, cmd_transfer, cmd_validate)

COMMANDS = (cmd_demo, cmd_train, cmd_list, cmd_show, cmd_protocols, cmd_validate, cmd_evaluate, cmd_submit,
            cmd_leaderboard, cmd_table, cmd_transfer)

EPILOG = """examples:
  bench demo                                   offline: train, evaluate, leaderboard on the digits (minutes)
  bench list                                   the registry (add --robustbench for RobustBench's zoo)
  bench evaluate --model cifar10_resnet18_standard --n-examples 1000
  bench submit my_model.yaml                   validate, evaluate, write result + leaderboard
  bench leaderboard                            regenerate leaderboards/ from the result files
  bench evaluate --model cifar_smallgap_adv --protocol cifar10-inequality-code
                                               Gini, noise and occlusion attacks of paper 000
  bench transfer --models cifar_smallgap_normal cifar_smallgap_adv
                                               do those attacks transfer between models (A.4)?

Shared assets (real data and weights) are found through --assets DIR or BENCH_ASSETS.
Downloads go to BENCH_CACHE (default ~/.cache/bench); BENCH_OFFLINE=1 forbids them.
Docs: docs/ (registry format, protocols, result schema, loaders)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench", description="Robustness benchmark harness for image classifiers.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"bench {__version__}")
    parser.add_argument("--assets", metavar="DIR", help="shared assets folder (data/, models/); default: $BENCH_ASSETS")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bench import assets
    from bench.cli.output import report_error
    from bench.errors import BenchError

    assets.set_assets_dir(args.assets)
    try:
        return int(args.handler(args) or 0)
    except BenchError as exc:
        report_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        report_error("Interrupted. Metrics that finished are kept in the .partial.json beside the result; "
                     "run the same command again to resume.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
