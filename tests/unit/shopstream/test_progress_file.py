"""The progress file a stage writes for the demo: throttled, atomic, read back as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopstream.progress_file import (
    Progress,
    ProgressFile,
    progress_file,
    read_progress,
    write_progress,
)
from shopstream.settings import Settings


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_written_state_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    write_progress(path, Progress(rows=7, done=2.5, total=10))
    assert read_progress(path) == Progress(rows=7, done=2.5, total=10.0)
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]  # no temp file left behind


def test_missing_or_torn_file_reads_as_nothing(tmp_path: Path) -> None:
    assert read_progress(tmp_path / "absent.json") is None
    (tmp_path / "torn.json").write_text('{"rows": 1')
    assert read_progress(tmp_path / "torn.json") is None


def test_updates_accumulate_and_are_written_at_most_every_interval(tmp_path: Path) -> None:
    clock = _Clock()
    sink = ProgressFile(tmp_path / "p.json", interval=1.0, clock=clock)
    sink.update(total=100, advance=10, rows=5)  # first update: written at once
    assert read_progress(sink.path) == Progress(rows=5, done=10, total=100)
    clock.now = 0.5
    sink.update(advance=10, rows=9)  # too soon: kept, not written
    assert read_progress(sink.path) == Progress(rows=5, done=10, total=100)
    assert sink.state == Progress(rows=9, done=20, total=100)
    clock.now = 0.6
    sink.flush()  # the end of a stage always writes
    assert read_progress(sink.path) == Progress(rows=9, done=20, total=100)
    clock.now = 2.0
    sink.update(done=0, advance=1)  # done can be reset, rows stay
    assert read_progress(sink.path) == Progress(rows=9, done=1, total=100)


def test_fraction_needs_a_total() -> None:
    assert Progress(done=5, total=20).fraction() == 0.25
    assert Progress(done=50, total=20).fraction() == 1.0
    assert Progress(rows=5).fraction() is None


def test_sink_only_when_the_setting_names_a_file(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPSTREAM_PROGRESS_FILE", raising=False)
    assert progress_file(Settings(_env_file=None)) is None  # type: ignore[call-arg]
    target = tmp_path / "sub" / "p.json"
    sink = progress_file(Settings(progress_file=target, _env_file=None))  # type: ignore[call-arg]
    assert sink is not None and sink.path == target and target.parent.is_dir()
