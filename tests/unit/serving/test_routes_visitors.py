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
    assert body["purchase_probability"] == pytest.approx((45 + 60) / 200)
    assert body["model_versions"] == {"user_segmentation": "3", "transaction_predictor": "3"}
    missing = await harness.client.get("/visitors/8")
    assert missing.status_code == 404
    assert "visitor 8" in missing.json()["detail"]
