"""Entry point of the ``bench`` console script.

Heavy imports (torch, robustbench) happen inside the sub-commands, so ``bench --help`` is
instant. This is the one error boundary: arguments are checked before any work
(:mod:`bench.cli.checks`); a user error (:class:`bench.errors.BenchError`) prints one paragraph
and exits 2; anything else is a bug in bench: it says so, writes its traceback to a log file
(under ``$BENCH_CACHE/logs``, else the temp folder), names that file and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import __version__
from bench.cli import (
    cmd_demo,
    cmd_evaluate,
    cmd_export,
    cmd_leaderboard,
    cmd_list,
    cmd_migrate,
    cmd_protocols,
    cmd_show,
    cmd_submit,
    cmd_table,
    cmd_train,
    cmd_transfer,
    cmd_validate,
)

COMMANDS = (
    cmd_demo,
    cmd_train,
    cmd_list,
    cmd_show,
    cmd_protocols,
    cmd_validate,
    cmd_evaluate,
    cmd_submit,
    cmd_leaderboard,
    cmd_table,
    cmd_transfer,
    cmd_migrate,
    cmd_export,
)

EPILOG = """examples:
  bench demo                                   offline: train, evaluate, leaderboard on the digits (minutes)
  bench list                                   the registry (add --robustbench for RobustBench's zoo)
  bench evaluate --model cifar_smallgap_adv --n-examples 64
                                               the battery of its data set and threat model
  bench submit my_model.yaml                   validate, evaluate, write result + leaderboard
  bench leaderboard                            regenerate leaderboards/ from the result files
  bench evaluate --model cifar_smallgap_adv --protocol cifar10-inequality-code
                                               Gini, noise and occlusion attacks of paper 000
  bench transfer --models cifar_smallgap_normal cifar_smallgap_adv
                                               do those attacks transfer between models (A.4)?

Shared assets (real data and weights) are found through --assets DIR or BENCH_ASSETS.
Downloads go to BENCH_CACHE (default ~/.cache/bench); BENCH_OFFLINE=1 forbids them.
Docs: docs/ (registry format, protocols, result schema, loaders)."""


ASSETS_HELP = "shared assets folder (data/, models/); default: $BENCH_ASSETS"


def build_parser() -> argparse.ArgumentParser:
    """The ``bench`` argument parser with every sub-command (``--assets`` before or after it)."""
    parser = argparse.ArgumentParser(
        prog="bench",
        description="Robustness benchmark harness for image classifiers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bench {__version__}")
    parser.add_argument("--assets", metavar="DIR", help=ASSETS_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    # also after the sub-command; SUPPRESS keeps a value given before it
    for command in sub.choices.values():
        command.add_argument("--assets", metavar="DIR", default=argparse.SUPPRESS, help=ASSETS_HELP)
    return parser


INTERNAL_ERROR_EXIT = 1


def main(argv: list[str] | None = None) -> int:
    """Parse, check, run one sub-command; return its exit status (2 for user errors)."""
    args = build_parser().parse_args(argv)
    from bench.cli.output import report_error
    from bench.errors import BenchError

    try:
        return _run(args)
    except BenchError as exc:
        report_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        report_error(
            "Interrupted. Metrics that finished are kept in the .partial.json beside the result; "
            "run the same command again to resume."
        )
        return 130
    except Exception as exc:  # noqa: BLE001 - the boundary: a bug, reported with its log file
        report_error(_internal_error_message(exc, _write_crash_log(argv)))
        return INTERNAL_ERROR_EXIT


def _run(args: argparse.Namespace) -> int:
    from bench import assets
    from bench.cli.checks import preflight

    preflight(args)
    assets.set_assets_dir(args.assets)
    return int(args.handler(args) or 0)


def _write_crash_log(argv: list[str] | None) -> Path | None:
    """Write the traceback being handled to a new log file; its path, or None if none could be written."""
    import datetime
    import os
    import tempfile
    import traceback

    text = (
        f"bench {__version__} internal error\ncommand: bench {' '.join(argv if argv is not None else sys.argv[1:])}\n"
        f"time: {datetime.datetime.now().isoformat(timespec='seconds')}\n\n{traceback.format_exc()}"
    )
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in _log_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=folder, prefix=f"crash-{stamp}-", suffix=".log")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            return Path(name)
        except OSError:
            continue
    return None


def _log_folders() -> list[Path]:
    import os
    import tempfile

    from bench.assets import CACHE_ENV

    cache = os.environ.get(CACHE_ENV)
    root = Path(cache).expanduser() if cache else Path.home() / ".cache" / "bench"
    return [root / "logs", Path(tempfile.gettempdir()) / "bench-logs"]


def _internal_error_message(exc: Exception, log: Path | None) -> str:
    where = f"The traceback is in {log}" if log else "No log file could be written"
    return (
        f"Internal error in bench (a bug, not something you did wrong): {type(exc).__name__}: {exc}. "
        f"{where}; please report it with that file and the command you ran."
    )


if __name__ == "__main__":
    sys.exit(main())
