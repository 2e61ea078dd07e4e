"""The X-API-Key gate."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr

from shopstream.settings import Settings

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


@pytest.fixture
async def guarded(harness_factory: Callable[[Settings], Awaitable[Any]]) -> AsyncIterator[Any]:
    h = await harness_factory(Settings(api_key=SecretStr("s3cret-key")))
    yield h
    await h.client.aclose()


@pytest.mark.parametrize("path", ["/recommendations/1", "/models", "/visitors/7",
                                  "/items/1/similar"])
async def test_guarded_routes_need_the_key(guarded: Any, path: str) -> None:
    assert (await guarded.client.get(path)).status_code == 401
    wrong = await guarded.client.get(path, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 403
    right = await guarded.client.get(path, headers={"X-API-Key": "s3cret-key"})
    assert right.status_code == 200


async def test_post_routes_need_the_key(guarded: Any) -> None:
    body = {"visitorid_to_identify": 1, "num_views": 1, "num_addtocart": 0,
            "distinct_items_interacted": 1}
    assert (await guarded.client.post("/predict-transaction", json=body)).status_code == 401


@pytest.mark.parametrize("path", ["/health", "/ready", "/docs", "/openapi.json", "/metrics"])
async def test_open_routes(guarded: Any, path: str) -> None:
    assert (await guarded.client.get(path)).status_code == 200
