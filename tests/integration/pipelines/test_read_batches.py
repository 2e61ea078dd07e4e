"""Spark reads selected batches straight from the object store (s3a://) and drops duplicate
(source, seq) events — e.g. a replayed file that produced a second copy of a batch."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopstream.settings import Settings
from tests.conftest import unique

pytestmark = pytest.mark.spark


def _batch(first_seq: int, n: int) -> bytes:
    table = pa.table({
        "timestamp": pa.array([1_433_000_000_000 + i * 1000 for i in range(n)], pa.int64()),
        "visitorid": pa.array([i % 7 for i in range(n)], pa.int64()),
        "event": ["view"] * n,
        "itemid": pa.array([100 + i % 5 for i in range(n)], pa.int64()),
        "transactionid": pa.array([None] * n, pa.int64()),
        "seq": pa.array(range(first_seq, first_seq + n), pa.int64()),
        "source": ["src-a"] * n,
        "kafka_partition": pa.array([0] * n, pa.int32()),
        "kafka_offset": pa.array(range(first_seq, first_seq + n), pa.int64()),
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_selected_batches_read_from_s3a_deduplicated(spark: Any, live_stack: Settings) -> None:
    from infra.s3 import ensure_buckets, s3_client
    from ingestion.batch_index import BatchEntry, write_entry
    from pipelines.data.selection import DataSelection, load_events

    settings = live_stack.model_copy(update={"events_bucket": unique("test-batches")})
    ensure_buckets(settings, (settings.events_bucket,))
    client = s3_client(settings)
    bodies = {1: _batch(1, 30), 2: _batch(21, 30), 3: _batch(51, 30)}  # 2 overlaps 1 by 10
    for number, body in bodies.items():
        key = f"{settings.batches_prefix}/part-{number:06d}.parquet"
        client.put_object(Bucket=settings.events_bucket, Key=key, Body=body)
        write_entry(client, settings, BatchEntry(
            number=number, key=key, format="parquet", rows=30, offsets={"0": [0, 29]},
            min_ts=None, max_ts=None, sha256=f"sha-{number}", created_at="2026-01-01T00:00:00Z"))
    loaded = load_events(spark, settings, DataSelection(batches="1-2"))
    assert loaded.frame.count() == 50
    assert loaded.batches == "1-2"
    assert all(u.startswith(f"s3a://{settings.events_bucket}/") for u in loaded.source_uris)
    everything = load_events(spark, settings, DataSelection())
    assert everything.frame.count() == 80
    assert everything.digest != loaded.digest
