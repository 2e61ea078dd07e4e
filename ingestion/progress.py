"""Progress display on stderr, only when stderr is a terminal (stdout stays clean for --json)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shopstream.output import stderr_console


@contextmanager
def progress_bar(description: str, total: float | None) -> Iterator[Any]:
    """Yields ``update(advance=..., description=...)`` or a no-op when not on a terminal."""
    if not sys.stderr.isatty():
        yield lambda **_: None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    if total is not None:
        columns.append(TimeRemainingColumn())
    with Progress(*columns, console=stderr_console(), transient=False) as bar:
        task = bar.add_task(description, total=total)

        def update(**kwargs: Any) -> None:
            bar.update(task, **kwargs)

        yield update
