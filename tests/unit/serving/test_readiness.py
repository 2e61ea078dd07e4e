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



@pytest.mark.parametrize("process_alive", [True, False])
async def test_unreachable_server_whose_process_died_is_marked_down_at_once(
        harness: Any, process_alive: bool) -> None:
    from serving.transport import AiohttpTransport

    up = harness.upstreams["recommender"]
    up.client = AiohttpTransport()  # the router's real transport, to a port nobody listens on
    assert up.endpoint is not None
    up.endpoint.url = "http://127.0.0.1:9"
    up.endpoint.alive = lambda: process_alive
    r = await harness.client.get("/recommendations/1")
    await up.client.aclose()
    assert r.status_code == 503
    ready = await harness.client.get("/ready")
    # A dead process: not ready until the supervisor restarted it. A live one that did not
    # answer (a timeout under load): still ready, the next request may well get through.
    assert ready.status_code == (200 if process_alive else 503)
