"""Dedup marks and batch cutting of one partition: contiguous offset ranges, exact counts."""

from __future__ import annotations

import pyarrow as pa
import pytest

from ingestion.partition_state import PartitionState

pytestmark = pytest.mark.unit


def _rows(seqs: list[int], offsets: list[int], source: str = "s1") -> pa.Table:
    n = len(seqs)
    return pa.table({
        "timestamp": pa.array(range(n), pa.int64()),
        "seq": pa.array(seqs, pa.int64()),
        "source": pa.array([source] * n),
        "kafka_offset": pa.array(offsets, pa.int64()),
    })


def test_replayed_seqs_are_duplicates_within_and_across_polls() -> None:
    state = PartitionState(0, start=0)
    kept, dups = state.deduplicate(_rows([1, 3, 5, 1, 3, 7], [0, 1, 2, 3, 4, 5]))
    assert kept["seq"].to_pylist() == [1, 3, 5, 7]
    assert dups == 2
    kept, dups = state.deduplicate(_rows([5, 7, 9], [6, 7, 8]))
    assert kept["seq"].to_pylist() == [9]
    assert dups == 2


def test_sources_are_independent() -> None:
    state = PartitionState(0, start=0, stored_hwm={"a": 10})
    table = pa.concat_tables([_rows([5, 11], [0, 1], "a"), _rows([5, 6], [2, 3], "b")])
    kept, dups = state.deduplicate(table)
    assert list(zip(kept["source"].to_pylist(), kept["seq"].to_pylist(), strict=True)) == [
        ("a", 11), ("b", 5), ("b", 6)]
    assert dups == 1


def test_full_batches_are_cut_at_exact_sizes_with_contiguous_ranges() -> None:
    state = PartitionState(2, start=100)
    state.add(_rows(list(range(1, 26)), list(range(100, 125))), last_offset=127)
    cuts = []
    while (cut := state.take(10, partial=False)) is not None:
        cuts.append(cut)
        state.stored(cut)
    assert [(c.first, c.last, c.table.num_rows) for c in cuts] == [(100, 109, 10), (110, 119, 10)]
    assert cuts[-1].seq_hwm == {"s1": 20}
    assert state.pending_rows == 5
    tail = state.take(10, partial=True)
    assert tail is not None
    # a partial batch covers everything consumed, trailing duplicates/rejects included
    assert (tail.first, tail.last, tail.table.num_rows) == (120, 127, 5)
    state.stored(tail)
    assert state.start == 128


def test_a_cut_does_not_mark_pending_rows_as_stored() -> None:
    state = PartitionState(0, start=0, stored_hwm={"s1": 0})
    state.add(_rows(list(range(1, 16)), list(range(15))), last_offset=14)
    cut = state.take(10, partial=False)
    assert cut is not None
    state.stored(cut)
    assert state.stored_hwm == {"s1": 10}
    assert state.live_hwm == {"s1": 0}  # live marks are only updated by deduplicate()


def test_nothing_pending_skips_consumed_offsets() -> None:
    state = PartitionState(0, start=5)
    state.add(_rows([], []), last_offset=9)
    assert state.take(10, partial=True) is None
    state.skip_consumed()
    assert state.start == 10
