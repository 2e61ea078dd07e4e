"""Progress display on stderr, only when stderr is a terminal (stdout stays clean for --json);
and, when a parent asked for it (the ``progress_file`` setting), the same progress as JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from shopstream.output import stderr_console
from shopstream.progress_file import ProgressFile


@contextmanager
def progress_bar(description: str, total: float | None,
                 sink: ProgressFile | None = None) -> Iterator[Callable[..., None]]:
    """Yields ``update(advance=..., description=..., rows=...)``: a rich bar on a terminal,
    the sink's state when one is given, else a no-op. ``rows`` counts records handled;
    ``advance`` moves the bar (in the unit of ``total``)."""
    if sink is not None:
        sink.update(done=0.0, total=total, force=True)
    with _terminal_bar(description, total) as bar_update:

        def update(**kwargs: Any) -> None:
            if sink is not None:
                sink.update(rows=kwargs.get("rows"), advance=float(kwargs.get("advance", 0.0)))
            bar_update(**kwargs)

        try:
            yield update
        finally:
            if sink is not None:
                sink.flush()


@contextmanager
def _terminal_bar(description: str, total: float | None) -> Iterator[Callable[..., None]]:
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
