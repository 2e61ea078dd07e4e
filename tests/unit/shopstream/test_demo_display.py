"""The demo's progress texts and per-stage lines (no terminal, no services)."""

from __future__ import annotations

import io
import time
from datetime import datetime

import pytest

from shopstream.demo_display import (
    BarDisplay,
    LineDisplay,
    StageEnd,
    eta_seconds,
    format_duration,
    format_stage_line,
    make_display,
    progress_texts,
    stage_fraction,
)
from shopstream.progress_file import Progress


@pytest.mark.parametrize(("seconds", "text"), [
    (0.44, "0.4s"), (12.34, "12.3s"), (59.94, "59.9s"), (245, "4m05s"), (3725, "1h02m")])
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_eta_is_the_time_left_at_the_pace_so_far() -> None:
    assert eta_seconds(0.25, 10.0) == pytest.approx(30.0)
    assert eta_seconds(1.0, 10.0) == 0.0
    assert eta_seconds(0.0, 10.0) is None  # no progress yet: no estimate
    assert eta_seconds(None, 10.0) is None


def test_fraction_from_own_total_else_from_expected_rows() -> None:
    assert stage_fraction(Progress(rows=5, done=50, total=200), 1000) == 0.25
    assert stage_fraction(Progress(rows=300), 1200) == 0.25
    assert stage_fraction(Progress(rows=300), None) is None
    assert stage_fraction(None, 1200) is None
    assert stage_fraction(Progress(rows=5000), 1200) == 1.0


def test_progress_texts_give_rows_rate_and_eta() -> None:
    texts = progress_texts(Progress(rows=20_000, done=1, total=4), None, elapsed=10.0)
    assert texts == {"rows": "20,000 rows", "rate": "2,000 rows/s", "eta": "ETA 30.0s"}
    assert progress_texts(None, None, elapsed=3.0) == {"rows": "", "rate": "", "eta": ""}


def test_stage_line_has_clock_times_duration_rows_and_rate() -> None:
    start = datetime(2026, 12, 7, 10, 43, 15).timestamp()
    line = format_stage_line(StageEnd("produce", start, 2.0, rows=20_000))
    assert line.split() == ["10:43:15-10:43:17", "produce", "2.0s", "20,000", "rows",
                            "10,000", "rows/s"]


def test_stage_line_of_a_failure_or_a_skipped_stage() -> None:
    start = datetime(2026, 12, 7, 10, 0, 0).timestamp()
    assert "FAILED" in format_stage_line(StageEnd("train", start, 61.0, ok=False)).split()
    skipped = format_stage_line(StageEnd("produce", start, 0.0, note="already ingested"))
    assert skipped.endswith("already ingested") and "rows" not in skipped


def test_line_display_writes_one_line_per_stage_when_it_ends() -> None:
    out = io.StringIO()
    display = LineDisplay(out)
    display.start("consume", 100)
    display.update(Progress(rows=50))
    assert out.getvalue() == ""
    display.end(StageEnd("consume", time.time(), 1.0, rows=100))
    assert out.getvalue().count("\n") == 1 and "consume" in out.getvalue()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_on_a_terminal_lines_elsewhere_or_when_verbose() -> None:
    assert isinstance(make_display(_Tty(), verbose=False), BarDisplay)
    assert isinstance(make_display(_Tty(), verbose=True), LineDisplay)
    assert isinstance(make_display(io.StringIO(), verbose=False), LineDisplay)


def test_bar_display_draws_rows_rate_and_eta_on_a_terminal() -> None:
    from rich.console import Console

    out = _Tty()
    display = BarDisplay(Console(file=out, force_terminal=True, width=120))
    display.start("produce", 1000)
    display.update(Progress(rows=500, done=5, total=10))
    display.end(StageEnd("produce", time.time(), 2.0, rows=1000))
    drawn = out.getvalue()
    assert "produce" in drawn and "1,000 rows" in drawn and "rows/s" in drawn
    assert "done" in drawn
