"""Vectorised murmur2 picks the same partition as kafka-python's (Java's) default partitioner."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.partitioner.default import murmur2 as kafka_murmur2

from ingestion.partitioning import murmur2, partitions_for

pytestmark = pytest.mark.unit


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=23), min_size=1, max_size=50))
def test_murmur2_matches_kafka_python(keys: list[bytes]) -> None:
    hashes = murmur2(pa.array(keys, pa.binary()))
    assert [int(h) for h in hashes] == [kafka_murmur2(k) for k in keys]


def test_partitions_match_the_default_partitioner_on_visitor_ids() -> None:
    keys = [str(v).encode() for v in range(0, 1_500_000, 997)]
    got = partitions_for(pa.array(keys, pa.binary()), [0, 1, 2, 3]).tolist()
    want = [(kafka_murmur2(k) & 0x7FFFFFFF) % 4 for k in keys]
    assert got == want
    assert set(got) == {0, 1, 2, 3}


def test_sliced_string_arrays_are_hashed_from_their_own_offsets() -> None:
    arr = pa.array(["a", "bb", "257597", "ccc"]).slice(2)
    assert [int(h) for h in murmur2(arr)] == [kafka_murmur2(b"257597"), kafka_murmur2(b"ccc")]
