"""Batch-number claims against an in-memory object store that lets another consumer act at
the worst moment: between our index-entry check and our claim listing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ingestion.batch_index import entry_key
from ingestion.batch_numbers import allocate, claims_prefix
from shopstream.settings import Settings

pytestmark = pytest.mark.unit


class RacingStore:
    """Objects in a dict; `on_first_miss(key)` runs once, after the first 404 on that key."""

    def __init__(self, on_first_miss: Callable[[str], None] | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.on_first_miss = on_first_miss

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:  # noqa: N803
        self.objects[Key] = Body

    def delete_object(self, Bucket: str, Key: str) -> None:  # noqa: N803
        self.objects.pop(Key, None)

    def head_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        from botocore.exceptions import ClientError

        if Key in self.objects:
            return {}
        hook, self.on_first_miss = self.on_first_miss, None
        if hook is not None:
            hook(Key)
        raise ClientError({"Error": {"Code": "404"}}, "HeadObject")

    def list_objects_v2(self, Bucket: str, Prefix: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        keys = sorted(k for k in self.objects if k.startswith(Prefix))
        return {"Contents": [{"Key": k} for k in keys]}

    def get_paginator(self, _: str) -> Any:
        store = self

        class Pages:
            def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:  # noqa: N803
                return [store.list_objects_v2(Bucket, Prefix)]

        return Pages()


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]


def test_a_number_whose_entry_appears_during_the_claim_is_not_taken(settings: Settings) -> None:
    def other_consumer_finishes_batch_one(key: str) -> None:
        # B claimed 1 before us, wrote entry 1 and released its claim, all right after our
        # "no entry 1" answer and before we list the claims of 1.
        assert key == entry_key(settings, 1)
        store.objects[entry_key(settings, 1)] = b"{}"

    store = RacingStore(other_consumer_finishes_batch_one)
    number = allocate(store, settings, "retail-events.p0.o0")  # type: ignore[arg-type]
    assert number == 2
    assert entry_key(settings, 1) in store.objects  # B's entry survives
    assert claims_prefix(settings, 1) + "retail-events.p0.o0" not in store.objects


def test_numbers_follow_the_index_when_nobody_races(settings: Settings) -> None:
    store = RacingStore()
    store.objects[entry_key(settings, 1)] = b"{}"
    store.objects[entry_key(settings, 2)] = b"{}"
    assert allocate(store, settings, "t.p1.o5") == 3  # type: ignore[arg-type]
    assert claims_prefix(settings, 3) + "t.p1.o5" in store.objects
