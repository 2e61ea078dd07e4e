"""GET /recommendations/{visitorid} and POST /recommendations/session."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_recommendations_known_and_unknown(harness: Any) -> None:
    known = (await harness.client.get("/recommendations/1?num_recommendations=3")).json()
    assert known["strategy"] == "als"
    assert [r["itemid"] for r in known["recommendations"]] == [110, 111, 112]
    assert known["recommendations"][0]["rating"] == 1.0
    unknown = (await harness.client.get("/recommendations/999")).json()
    assert unknown["strategy"] == "popular"
    assert len(unknown["recommendations"]) == 5  # the original's default


@pytest.mark.parametrize("query", ["num_recommendations=0", "num_recommendations=101",
                                   "num_recommendations=abc"])
async def test_num_recommendations_out_of_range(harness: Any, query: str) -> None:
    r = await harness.client.get(f"/recommendations/1?{query}")
    assert r.status_code == 422
    assert "num_recommendations" in r.json()["message"]


@pytest.mark.parametrize("visitor", ["abc", "1.5", "-3"])
async def test_non_integer_or_negative_visitor_id(harness: Any, visitor: str) -> None:
    r = await harness.client.get(f"/recommendations/{visitor}")
    assert r.status_code == 422
    assert "visitorid" in r.json()["message"]


async def test_exclude_purchased_reaches_the_model(harness: Any) -> None:
    seen: list[Any] = []
    fake = harness.fakes["recommender"]
    fake.override = lambda rows: (seen.extend(rows),
                                  {"predictions": [{"items": "[5]", "scores": "[0.5]",
                                                    "strategy": "als"}] * len(rows)})[1]
    r = await harness.client.get("/recommendations/1?exclude_purchased=true")
    assert r.status_code == 200
    assert seen[0]["exclude_purchased"] is True
    assert seen[0]["mode"] == "visitor" and seen[0]["visitorid"] == 1


async def test_session(harness: Any) -> None:
    r = await harness.client.post("/recommendations/session", json={"items": [10, 20], "k": 2})
    assert r.status_code == 200
    assert [x["itemid"] for x in r.json()["recommendations"]] == [11, 21]
    assert r.json()["strategy"] == "session"
    empty = await harness.client.post("/recommendations/session", json={"items": []})
    assert empty.status_code == 422
