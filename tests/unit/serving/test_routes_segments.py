"""POST /segment-user: the original contract, counts and ratios checked for consistency."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.serving.requests import SEGMENT

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_segment_user(harness: Any) -> None:
    r = await harness.client.post("/segment-user", json=SEGMENT)
    assert r.status_code == 200
    assert r.json() == {"visitorid": "user_test_segment_01", "cluster_id": 2, "segment": "buyers",
                        "funnel_segment": "buyers", "model_version": "3"}


@pytest.mark.parametrize(
    ("change", "word"),
    [({"view_ratio": 1.2}, "view_ratio"), ({"total_views": 70}, "total_events"),
     ({"addtocart_ratio": 0.5}, "addtocart_ratio"), ({"total_transactions": -2},
                                                     "total_transactions"),
     ({"transaction_ratio": 0.2}, "transaction_ratio"), ({"color": "red"}, "color")],
)
async def test_segment_user_rejects_inconsistent_input(harness: Any, change: dict[str, Any],
                                                       word: str) -> None:
    r = await harness.client.post("/segment-user", json={**SEGMENT, **change})
    assert r.status_code == 422
    assert word in r.json()["message"]
