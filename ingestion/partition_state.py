"""Per-partition consumer state: pending events, their offset range, and dedup high-water marks.

Dedup layer (see ingestion.consumer): an event is a duplicate when its ``seq`` is not above the
highest ``seq`` already accepted from the same ``source`` in the same partition. The producer
keys by visitorid and sends a file in seq order with an idempotent producer, so within one
partition a source's seqs only grow; a replayed file (same bytes → same source) therefore
arrives with seqs at or below the mark and is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shopstream.contracts import KAFKA_OFFSET, SEQ, SOURCE

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass
class Cut:
    """One batch ready to store: rows, offset range, dedup marks after it."""

    table: pa.Table
    first: int
    last: int
    seq_hwm: dict[str, int]


@dataclass
class PartitionState:
    partition: int
    start: int
    """First offset not yet covered by a stored batch (or skipped as stored)."""
    stored_hwm: dict[str, int] = field(default_factory=dict)
    live_hwm: dict[str, int] = field(default_factory=dict)
    pending: list[pa.Table] = field(default_factory=list)
    pending_rows: int = 0
    last_consumed: int = -1
    committed: int = -1

    def __post_init__(self) -> None:
        self.live_hwm = dict(self.stored_hwm)
        self.last_consumed = max(self.last_consumed, self.start - 1)

    def deduplicate(self, table: pa.Table) -> tuple[pa.Table, int]:
        """Drop rows already accepted (by source and seq); returns (kept rows, duplicates)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if table.num_rows == 0:
            return table, 0
        keep = np.ones(table.num_rows, dtype=bool)
        sources = table[SOURCE]
        seqs = table[SEQ].to_numpy()
        for source in pc.unique(sources).to_pylist():
            rows = np.flatnonzero(pc.equal(sources, source).to_numpy(zero_copy_only=False))
            mine = seqs[rows]
            prev = self.live_hwm.get(source, 0)
            before = np.maximum.accumulate(np.concatenate(([prev], mine)))[:-1]
            keep[rows] = mine > before
            self.live_hwm[source] = max(prev, int(mine.max()))
        if keep.all():
            return table, 0
        return table.filter(pa.array(keep)), int((~keep).sum())

    def add(self, table: pa.Table, last_offset: int) -> None:
        self.last_consumed = max(self.last_consumed, last_offset)
        if table.num_rows:
            self.pending.append(table)
            self.pending_rows += table.num_rows

    def take(self, batch_size: int, partial: bool) -> Cut | None:
        """The next batch: ``batch_size`` rows, or (partial) whatever is pending."""
        import pyarrow as pa

        if self.pending_rows == 0 or (self.pending_rows < batch_size and not partial):
            return None
        table = pa.concat_tables(self.pending).combine_chunks()
        if self.pending_rows > batch_size:
            batch, rest = table.slice(0, batch_size), table.slice(batch_size)
            last = int(batch[KAFKA_OFFSET][-1].as_py())
        else:
            batch, rest = table, table.slice(0, 0)
            last = self.last_consumed if partial else int(table[KAFKA_OFFSET][-1].as_py())
        hwm = dict(self.stored_hwm)
        for source, seq in _max_seq_by_source(batch).items():
            hwm[source] = max(hwm.get(source, 0), seq)
        cut = Cut(batch, self.start, last, hwm)
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows
        return cut

    def stored(self, cut: Cut) -> None:
        self.start = cut.last + 1
        self.stored_hwm = cut.seq_hwm

    def skip_consumed(self) -> None:
        """Nothing pending: everything consumed so far is dealt with (dups, rejects)."""
        if self.pending_rows == 0:
            self.start = max(self.start, self.last_consumed + 1)


def _max_seq_by_source(table: pa.Table) -> dict[str, int]:
    grouped = table.group_by(SOURCE).aggregate([(SEQ, "max")])
    return dict(zip(grouped[SOURCE].to_pylist(), grouped[f"{SEQ}_max"].to_pylist(), strict=True))
