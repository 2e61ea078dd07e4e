"""/ready is readiness (503 until every production model answers), /health is liveness."""

from __future__ import annotations

from typing import Any

import pytest

from serving.upstream import DOWN, STARTING

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_ready_when_every_model_answers(harness: Any) -> None:
    r = await harness.client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {"ready": True, "waiting_for": {}}


async def test_not_ready_while_a_model_starts_but_alive(harness: Any) -> None:
    harness.upstreams["recommender"].mark(STARTING, "starting version 4")
    harness.upstreams["user_segmentation"].mark(DOWN, "scoring server exited")
    r = await harness.client.get("/ready")
    assert r.status_code == 503
    assert r.json()["waiting_for"] == {"recommender": "starting", "user_segmentation": "down"}
    live = await harness.client.get("/health")
    assert live.status_code == 200 and live.json()["status"] == "degraded"

