"""Terminal output shared by the sub-commands: tables, progress bars, error paragraphs.

On a terminal, tables are rich tables; when stdout is a pipe or a file they are plain text, one
row per line and nothing wrapped, so ``bench list | grep ID`` finds the whole row. Progress bars
always go to stderr and never capture stdout, so ``--json`` output stays pure JSON with the bars on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

stdout = Console()
stderr = Console(stderr=True)


def report_error(message: str) -> None:
    """Print ``error: message`` on stderr, unwrapped."""
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)


def print_json(obj) -> None:
    """Write ``obj`` as indented JSON to stdout (bypassing rich, so it stays pure JSON)."""
    sys.stdout.write(json.dumps(obj, indent=1) + "\n")


def on_terminal() -> bool:
    """Whether stdout is a terminal (as rich sees it: ``FORCE_COLOR`` / ``TTY_COMPATIBLE`` count)."""
    return stdout.is_terminal


def print_rows(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str | None = None,
    no_wrap: Sequence[str] = (),
) -> None:
    """A rich table on a terminal (columns in ``no_wrap`` never wrap); otherwise :func:`plain_rows`."""
    if not on_terminal():
        sys.stdout.write(plain_rows(headers, rows))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for header in headers:
        table.add_column(header, no_wrap=header in no_wrap, overflow="fold")
    for row in rows:
        table.add_row(*map(escape, row))
    stdout.print(table)


def plain_rows(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A header line and one line per row, columns padded and separated by two spaces, never wrapped."""
    lines = [list(headers), *map(list, rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() + "\n" for line in lines
    )


@contextmanager
def progress_bars(enabled: bool = True):
    """Yield a factory ``(description, total) -> advance(n)`` backed by rich progress bars on stderr
    (on a stderr that is not a terminal, one plain line per finished bar).

    The bars never redirect stdout (``redirect_stdout=False``): what a command prints there, JSON
    included, stays on stdout whether or not stderr is a terminal.
    """
    if not enabled:
        yield None
        return
    if (
        not stderr.is_terminal
    ):  # a log file or a pipe: one line per finished bar, not a redrawn table cut to 80 columns
        yield _log_lines
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=stderr,
        transient=False,
        redirect_stdout=False,
    )

    def factory(description: str, total: int) -> Callable[..., None]:
        task = progress.add_task(description, total=total, status="")

        def advance(n: int, **status: float) -> None:
            """Move the bar by ``n``; keyword values (loss, ε, ...) are shown beside it."""
            shown = " ".join(f"{k} {v:.3g}" for k, v in status.items())
            progress.update(task, advance=n, **({"status": shown} if shown else {}))

        return advance

    with progress:
        yield factory


def _log_lines(description: str, total: int) -> Callable[..., None]:
    """A progress factory for a stderr that is not a terminal: ``description: total/total in S s`` once done."""
    import time

    started, done = time.perf_counter(), 0

    def advance(n: int, **status: float) -> None:
        nonlocal done
        before, done = done, done + n
        if before < total <= done:
            shown = "".join(f", {k} {v:.3g}" for k, v in status.items())
            sys.stderr.write(
                f"{description}: {done}/{total} in {time.perf_counter() - started:.1f} s{shown}\n"
            )

    return advance
