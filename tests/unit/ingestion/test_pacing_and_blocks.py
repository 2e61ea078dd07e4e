"""Pacing target times and the block reader's line numbers, seqs and limit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingestion.csv_blocks import iter_blocks, read_header, source_id
from ingestion.pacing import Pacer, parse_jitter
from shopstream.errors import ConfigError

pytestmark = pytest.mark.unit


def test_no_pacing_means_no_targets() -> None:
    assert Pacer().targets(np.array([1, 2, 3])) is None


def test_fixed_rate_continues_across_blocks() -> None:
    pacer = Pacer(rate=10)
    first = pacer.targets(np.zeros(3, dtype=np.int64))
    second = pacer.targets(np.zeros(2, dtype=np.int64))
    assert first is not None and second is not None
    assert np.allclose(np.concatenate([first, second]), [0, 0.1, 0.2, 0.3, 0.4])


def test_replay_uses_event_time_divided_by_speed_and_never_goes_back() -> None:
    pacer = Pacer(replay_speed=100)
    out = pacer.targets(np.array([1000, 3000, 2000, 11000], dtype=np.int64))
    assert out is not None
    assert np.allclose(out, [0, 0.02, 0.02, 0.1])


def test_jitter_gaps_are_within_bounds() -> None:
    pacer = Pacer(jitter=(0.01, 0.02), seed=1)
    out = pacer.targets(np.zeros(100, dtype=np.int64))
    assert out is not None
    gaps = np.diff(out)
    assert out[0] == 0
    assert gaps.min() >= 0.01 and gaps.max() <= 0.02


def test_pacing_options_are_checked() -> None:
    with pytest.raises(ConfigError):
        Pacer(rate=5, replay_speed=2)
    with pytest.raises(ConfigError):
        Pacer(rate=0)
    with pytest.raises(ConfigError):
        parse_jitter("a,b")
    assert parse_jitter("0.1") == (0.0, 0.1)
    assert parse_jitter("0.1,0.2") == (0.1, 0.2)


def test_blocks_number_lines_and_seqs_across_block_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    rows = [f"{i},{i},view,{i}," for i in range(1, 101)]
    path.write_text("timestamp,visitorid,event,itemid,transactionid\n" + "\n".join(rows))
    order, has_header = read_header(path)
    assert has_header and order[0] == "timestamp"
    blocks = list(iter_blocks(path, has_header=True, block_bytes=64))
    lines = [line for b in blocks for line in b.lines]
    assert lines == [r.encode() for r in rows]  # last line without a newline kept
    for b in blocks:
        if b.lines:
            assert b.first_line_number == b.first_seq + 1
            assert b.lines[0] == rows[b.first_seq - 1].encode()
    limited = [line for b in iter_blocks(path, has_header=True, limit=7, block_bytes=64)
               for line in b.lines]
    assert limited == [r.encode() for r in rows[:7]]


def test_source_id_depends_on_content_only(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    a.write_bytes(b"x,y\n1,2\n")
    b.write_bytes(b"x,y\n1,2\n")
    c.write_bytes(b"x,y\n1,3\n")
    assert source_id(a) == source_id(b) != source_id(c)
    assert len(source_id(a)) == 16
