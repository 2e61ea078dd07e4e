"""GET /health: liveness and the models behind it."""

from __future__ import annotations

from typing import Any

import pytest

from serving.upstream import DOWN

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_health_ok_lists_models_with_versions(harness: Any) -> None:
    r = await harness.client.get("/health")
    body = r.json()
    assert r.status_code == 200
    assert body["status"] == "ok"
    assert body["models_loaded"] == ["recommender", "transaction_predictor", "user_segmentation"]
    assert body["warnings"] == []
    assert body["models"]["recommender"]["version"] == "3"
    assert body["models"]["recommender"]["state"] == "ready"


async def test_health_degraded_when_a_model_is_down(harness: Any) -> None:
    harness.upstreams["user_segmentation"].mark(DOWN, "scoring server exited")
    body = (await harness.client.get("/health")).json()
    assert body["status"] == "degraded"
    assert "user_segmentation" not in body["models_loaded"]
    assert any("user_segmentation" in w for w in body["warnings"])
