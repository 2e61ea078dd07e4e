"""GET /items/{itemid}/similar: the recommender's similar mode."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_similar_items(harness: Any) -> None:
    s = await harness.client.get("/items/10/similar?k=1")
    assert s.status_code == 200
    assert s.json()["similar"] == [{"itemid": 11, "rating": 1.0}]
    assert s.json()["strategy"] == "similar"
