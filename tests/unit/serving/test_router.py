"""App-wide router behaviour over fake scoring servers: error mapping, request ids, body
limits, batching. Each route module has its own test_routes_<module>.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from serving.upstream import DOWN
from tests.unit.serving.requests import POWER

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_model_down_is_503_naming_it(harness: Any) -> None:
    harness.upstreams["transaction_predictor"].mark(DOWN, "scoring server exited (code -9)")
    r = await harness.client.post("/predict-transaction", json=POWER)
    assert r.status_code == 503
    assert r.json()["model"] == "transaction_predictor"
    assert "transaction_predictor" in r.json()["detail"]


async def test_unreachable_scoring_server_is_503(harness: Any) -> None:
    from serving.transport import AiohttpTransport

    up = harness.upstreams["recommender"]
    up.client = AiohttpTransport()  # the router's real transport, to a port nobody listens on
    assert up.endpoint is not None
    up.endpoint.url = "http://127.0.0.1:9"
    r = await harness.client.get("/recommendations/1")
    await up.client.aclose()
    assert r.status_code == 503
    assert r.json()["model"] == "recommender"


async def test_wrong_row_count_is_502_without_internals(harness: Any) -> None:
    harness.fakes["transaction_predictor"].override = lambda rows: {"predictions": []}
    r = await harness.client.post("/predict-transaction", json=POWER)
    assert r.status_code == 502
    assert "Traceback" not in r.text
    assert r.json()["model"] == "transaction_predictor"


async def test_unexpected_error_is_500_with_request_id(harness: Any,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    harness.fakes["transaction_predictor"].override = lambda rows: {
        "predictions": [{"probability": "not-a-number", "will_transact": True}] * len(rows)}
    r = await harness.client.post("/predict-transaction", json=POWER)
    assert r.status_code == 500
    rid = r.json()["request_id"]
    assert r.headers["x-request-id"] == rid
    assert "not-a-number" not in r.text and "Traceback" not in r.text
    assert any(rid in rec.getMessage() for rec in caplog.records)


async def test_request_id_is_echoed(harness: Any) -> None:
    r = await harness.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"


async def test_oversized_body_is_413(harness: Any) -> None:
    big = {**POWER, "visitorid_to_identify": "x" * 5000}
    r = await harness.client.post("/predict-transaction", json=big)
    assert r.status_code == 413
    assert "4096" in r.json()["detail"]


async def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(
    harness: Any,
) -> None:
    bodies = [{**POWER, "num_views": v, "distinct_items_interacted": 1} for v in range(40)]
    answers = await asyncio.gather(
        *(harness.client.post("/predict-transaction", json=b) for b in bodies))
    probs = [a.json()["probability"] for a in answers]
    assert probs == [pytest.approx(min(1.0, (v + 70) / 200)) for v in range(40)]
    batches = harness.fakes["transaction_predictor"].batches
    assert sum(batches) == 40
    assert len(batches) < 40  # coalesced
