"""Terminal output shared by the sub-commands: rich tables, progress bars, error paragraphs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

stdout = Console()
stderr = Console(stderr=True)


def report_error(message: str) -> None:
    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=1) + "\n")


@contextmanager
def progress_bars(enabled: bool = True):
    """Yield a factory ``(description, total) -> advance(n)`` backed by rich progress bars on stderr."""
    if not enabled:
        yield None
        return
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[status]}"),
                        console=stderr, transient=False)

    def factory(description: str, total: int) -> Callable[..., None]:
        task = progress.add_task(description, total=total, status="")

        def advance(n: int, **status: float) -> None:
            """Move the bar by ``n``; keyword values (loss, ε, ...) are shown beside it."""
            shown = " ".join(f"{k} {v:.3g}" for k, v in status.items())
            progress.update(task, advance=n, **({"status": shown} if shown else {}))

        return advance

    with progress:
        yield factory
