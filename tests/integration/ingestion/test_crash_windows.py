"""The two crash windows of a batch, set up exactly (what a consumer killed there leaves):
batch object + index entry stored but offsets not committed; batch object stored, no entry."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from infra.s3 import s3_client
from ingestion.batch_writer import BatchWriter, batch_key
from ingestion.messages import decode_values
from ingestion.partition_state import PartitionState
from tests.integration.ingestion.conftest import (
    Isolated,
    consume,
    events_file,
    produce,
    read_batches,
    read_topic,
)


def _first_records_of_partition(isolated: Isolated, n_events: int, count: int) -> list:
    records = read_topic(isolated.settings, isolated.settings.topic, n_events)
    mine = sorted((r for r in records if r.partition == 0), key=lambda r: r.offset)
    return mine[:count]


def _cut(records: list) -> tuple[pa.Table, PartitionState]:
    decoded = decode_values([r.value for r in records])
    table = decoded.table.append_column(
        "kafka_partition", pa.array([0] * len(records), pa.int32())
    ).append_column("kafka_offset", pa.array([r.offset for r in records], pa.int64()))
    state = PartitionState(0, start=0)
    kept, _ = state.deduplicate(table)
    state.add(kept, records[-1].offset)
    return kept, state


def test_stored_but_uncommitted_batch_is_not_made_twice(isolated: Isolated,
                                                        tmp_path: Path) -> None:
    s = isolated.settings
    n = 6_000
    produce(s, events_file(tmp_path / "e.csv", n))
    records = _first_records_of_partition(isolated, n, 700)
    _, state = _cut(records)
    cut = state.take(700, partial=True)
    assert cut is not None
    writer = BatchWriter(s3_client(s), s)
    first = writer.store(s.topic, 0, cut.first, cut.last, cut.table, cut.seq_hwm)

    result = consume(s, batch_size=1_000)
    assert result.events == n - 700
    entries, rows = read_batches(s)
    assert entries[0] == first
    assert sorted(rows["seq"].to_pylist()) == list(range(1, n + 1))
    p0 = sorted(e.offsets["0"] for e in entries if e.partition == 0)
    assert p0[0] == [0, 699] and p0[1][0] == 700


def test_unindexed_batch_object_is_replaced_not_duplicated(isolated: Isolated,
                                                          tmp_path: Path) -> None:
    s = isolated.settings
    n = 5_000
    produce(s, events_file(tmp_path / "e.csv", n))
    records = _first_records_of_partition(isolated, n, 300)
    kept, _ = _cut(records)
    client = s3_client(s)
    orphan = batch_key(s, s.topic, 0, 0, 299, "parquet")
    client.put_object(Bucket=s.events_bucket, Key=orphan, Body=b"left by a crash")

    consume(s, batch_size=100_000)
    entries, rows = read_batches(s)
    assert sorted(rows["seq"].to_pylist()) == list(range(1, n + 1))
    assert orphan not in {e.key for e in entries}
    listing = client.list_objects_v2(Bucket=s.events_bucket, Prefix=orphan)
    assert listing.get("KeyCount", 0) == 0, "the orphan was not removed"
    assert kept.num_rows == 300
