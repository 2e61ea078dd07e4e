"""GET /visitors/{visitorid}: stored history through the segmentation and predictor models."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_visitor_profile(harness: Any) -> None:
    r = await harness.client.get("/visitors/7")
    body = r.json()
    assert r.status_code == 200
    assert body["features"]["total_views"] == 45.0
    assert body["cluster_id"] == 2
    assert body["funnel_segment"] == "buyers"
    # the next session once begun with a view, the stored totals as its history
    assert harness.fakes["transaction_predictor"].rows[-1] == {
        "num_views": 1, "num_addtocart": 0, "distinct_items_interacted": 1, "prev_events": 60,
        "prev_addtocarts": 6, "prev_transactions": 3}
    assert body["purchase_probability"] == pytest.approx(1 / 200)
    assert body["model_versions"] == {"user_segmentation": "3", "transaction_predictor": "3"}
    missing = await harness.client.get("/visitors/8")
    assert missing.status_code == 404
    assert "visitor 8" in missing.json()["detail"]
