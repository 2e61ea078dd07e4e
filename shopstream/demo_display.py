"""How `shopstream demo` shows its stages on stderr.

On a terminal each stage is a rich progress bar with rows, rows/s and ETA (when the stage's
progress says how far it is); otherwise each stage is one line when it ends: clock times, the
duration and the rows it handled. The texts are built by plain functions (unit-tested).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Protocol

from shopstream.progress_file import Progress


@dataclass(frozen=True)
class StageEnd:
    """What the display says when a stage ends."""

    name: str
    started_at: float  # wall clock (time.time())
    seconds: float
    rows: int | None = None
    ok: bool = True
    note: str = ""


def format_count(n: float) -> str:
    return f"{n:,.0f}"


def format_duration(seconds: float) -> str:
    """0.4s, 12.3s, 4m05s, 1h02m."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def rows_per_second(rows: int | None, seconds: float) -> float | None:
    if not rows or seconds <= 0:
        return None
    return rows / seconds


def eta_seconds(fraction: float | None, elapsed: float) -> float | None:
    """Time left at the average pace so far; None before any progress."""
    if fraction is None or fraction <= 0 or elapsed <= 0:
        return None
    return max(0.0, elapsed * (1.0 - fraction) / fraction)


def stage_fraction(progress: Progress | None, expected_rows: int | None) -> float | None:
    """How far a stage is: its own done/total, else its rows against the rows expected."""
    if progress is None:
        return None
    own = progress.fraction()
    if own is not None:
        return own
    if expected_rows:
        return min(1.0, progress.rows / expected_rows)
    return None


def progress_texts(progress: Progress | None, expected_rows: int | None,
                   elapsed: float) -> dict[str, str]:
    """The bar's text columns: rows, rows/s and ETA (blank while unknown)."""
    rows = progress.rows if progress else 0
    rate = rows_per_second(rows, elapsed)
    eta = eta_seconds(stage_fraction(progress, expected_rows), elapsed)
    return {
        "rows": f"{format_count(rows)} rows" if rows else "",
        "rate": f"{format_count(rate)} rows/s" if rate else "",
        "eta": f"ETA {format_duration(eta)}" if eta is not None else "",
    }


def format_stage_line(end: StageEnd) -> str:
    """One line per stage: '10:43:15-10:43:17 produce     2.2s  20,000 rows  9,091 rows/s'."""
    start = datetime.fromtimestamp(end.started_at).strftime("%H:%M:%S")
    stop = datetime.fromtimestamp(end.started_at + end.seconds).strftime("%H:%M:%S")
    parts = [f"{start}-{stop}", f"{end.name:9}", f"{format_duration(end.seconds):>7}"]
    if not end.ok:
        parts.append("FAILED")
    if end.rows:
        parts.append(f"{format_count(end.rows)} rows")
        rate = rows_per_second(end.rows, end.seconds)
        if rate and end.seconds >= 0.5:
            parts.append(f"{format_count(rate)} rows/s")
    if end.note:
        parts.append(end.note)
    return "  ".join(parts)


class Display(Protocol):
    def start(self, name: str, expected_rows: int | None = None) -> None: ...

    def update(self, progress: Progress | None) -> None: ...

    def end(self, end: StageEnd) -> None: ...


class LineDisplay:
    """No terminal (a CI log, a pipe) or --verbose: one line per stage when it ends."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def start(self, name: str, expected_rows: int | None = None) -> None:
        """Nothing: the line is written when the stage ends."""

    def update(self, progress: Progress | None) -> None:
        """Nothing: no live display without a terminal."""

    def end(self, end: StageEnd) -> None:
        self.stream.write(format_stage_line(end) + "\n")
        self.stream.flush()


class BarDisplay:
    """A terminal: one rich progress bar per stage, left on screen when the stage ends."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self._bar: Any = None
        self._task: Any = None
        self._expected: int | None = None
        self._started = 0.0

    def start(self, name: str, expected_rows: int | None = None) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._expected, self._started = expected_rows, time.monotonic()
        self._bar = Progress(
            TextColumn("[bold]{task.description:9}"), BarColumn(),
            TextColumn("{task.fields[rows]:>14}"), TextColumn("{task.fields[rate]:>14}"),
            TimeElapsedColumn(), TextColumn("{task.fields[eta]}"),
            console=self.console, transient=False)
        self._bar.start()
        self._task = self._bar.add_task(name, total=None, rows="", rate="", eta="")

    def update(self, progress: Progress | None) -> None:
        elapsed = time.monotonic() - self._started
        fraction = stage_fraction(progress, self._expected)
        self._bar.update(self._task, total=100.0 if fraction is not None else None,
                         completed=100.0 * (fraction or 0.0),
                         **progress_texts(progress, self._expected, elapsed))

    def end(self, end: StageEnd) -> None:
        rate = rows_per_second(end.rows, end.seconds)
        status = "[green]done[/]" if end.ok else "[red]FAILED[/]"
        self._bar.update(self._task, total=100.0, completed=100.0 if end.ok else 0.0,
                         rows=f"{format_count(end.rows)} rows" if end.rows else "",
                         rate=f"{format_count(rate)} rows/s" if rate else "",
                         eta=f"{status} {end.note}".rstrip())
        self._bar.stop()


def make_display(stream: IO[str], *, verbose: bool) -> Display:
    """Bars on a terminal, lines otherwise (and with --verbose, whose live log lines would
    tear the bars)."""
    if stream.isatty() and not verbose:
        from rich.console import Console

        return BarDisplay(Console(file=stream))
    return LineDisplay(stream)
