"""Batch object keys, index entry names and batch selections."""

from __future__ import annotations

import pytest

from ingestion.batch_index import BatchEntry, entry_key, parse_spec
from ingestion.batch_numbers import claimant_id
from ingestion.batch_writer import batch_key
from ingestion.errors import BatchSpecError
from shopstream.settings import Settings

pytestmark = pytest.mark.unit


def test_key_is_derived_from_topic_partition_and_offsets() -> None:
    s = Settings()
    assert batch_key(s, "retail-events", 3, 10_000, 19_999, "parquet") == (
        "batches/retail-events/p003/000000010000-000000019999.parquet")
    assert batch_key(s, "t", 0, 0, 5, "csv").endswith("p000/000000000000-000000000005.csv")
    # same offsets → same key, different offsets → different key
    assert batch_key(s, "t", 1, 0, 9, "parquet") == batch_key(s, "t", 1, 0, 9, "parquet")
    assert batch_key(s, "t", 1, 0, 9, "parquet") != batch_key(s, "t", 1, 0, 10, "parquet")


def test_index_entry_name_follows_the_contract() -> None:
    s = Settings(batches_prefix="batches")
    assert entry_key(s, 7) == "batches/_index/000007.json"


def test_claimant_is_the_batch_start() -> None:
    assert claimant_id("t", 2, 300) == claimant_id("t", 2, 300)
    assert claimant_id("t", 2, 300) != claimant_id("t", 3, 300)


@pytest.mark.parametrize(("spec", "bounds"), [("1-50", (1, 50)), ("7", (7, 7)),
                                               (" 3 - 4 ", (3, 4))])
def test_specs(spec: str, bounds: tuple[int, int]) -> None:
    assert parse_spec(spec) == bounds


@pytest.mark.parametrize("spec", ["", "a-b", "5-3", "0-2", "1-", "-3", "1,2"])
def test_bad_specs_say_what_is_expected(spec: str) -> None:
    with pytest.raises(BatchSpecError, match="A"):
        parse_spec(spec)


def test_entry_round_trip_and_uri() -> None:
    entry = BatchEntry(number=1, key="batches/t/p000/a.parquet", format="parquet", rows=3,
                       offsets={"0": [0, 4]}, min_ts=1, max_ts=2, sha256="x",
                       created_at="2026-01-01T00:00:00+00:00", topic="t", partition=0,
                       seq_hwm={"s": 3})
    again = BatchEntry.from_json({**entry.to_json(), "unknown_future_field": 1})
    assert again == entry
    assert entry.last_offset() == 4
    assert entry.uri(Settings(events_bucket="b")) == "s3a://b/batches/t/p000/a.parquet"
