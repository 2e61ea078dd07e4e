"""Router shaping, validation and error mapping over fake scoring servers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from serving.upstream import DOWN

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

POWER = {"visitorid_to_identify": "power_shopper_candidate_789", "num_views": 120,
         "num_addtocart": 7, "distinct_items_interacted": 45}
SEGMENT = {"visitorid_to_identify": "user_test_segment_01", "total_events": 60,
           "total_views": 45, "total_addtocart": 6, "total_transactions": 3,
           "view_ratio": 0.75, "addtocart_ratio": 0.10, "transaction_ratio": 0.0667}


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


async def test_session_and_similar(harness: Any) -> None:
    r = await harness.client.post("/recommendations/session", json={"items": [10, 20], "k": 2})
    assert r.status_code == 200
    assert [x["itemid"] for x in r.json()["recommendations"]] == [11, 21]
    assert r.json()["strategy"] == "session"
    s = await harness.client.get("/items/10/similar?k=1")
    assert s.json()["similar"] == [{"itemid": 11, "rating": 1.0}]
    assert s.json()["strategy"] == "similar"
    empty = await harness.client.post("/recommendations/session", json={"items": []})
    assert empty.status_code == 422


async def test_predict_transaction_shape_and_order(harness: Any) -> None:
    casual = {**POWER, "visitorid_to_identify": "casual_browser_001", "num_views": 5,
              "num_addtocart": 0, "distinct_items_interacted": 3}
    p = (await harness.client.post("/predict-transaction", json=POWER)).json()
    c = (await harness.client.post("/predict-transaction", json=casual)).json()
    assert p["visitorid"] == "power_shopper_candidate_789"
    assert set(p) >= {"visitorid", "will_transact", "probability"}
    assert p["probability"] > c["probability"]
    assert p["will_transact"] is True and c["will_transact"] is False


async def test_integer_visitor_id_is_echoed_as_integer(harness: Any) -> None:
    r = await harness.client.post("/predict-transaction",
                                  json={**POWER, "visitorid_to_identify": 257597})
    assert r.json()["visitorid"] == 257597


@pytest.mark.parametrize(
    ("change", "word"),
    [({"num_views": -1}, "num_views"), ({"num_views": 1.5}, "num_views"),
     ({"num_views": "12"}, "num_views"), ({"extra": 1}, "extra"),
     ({"distinct_items_interacted": 500}, "distinct_items_interacted")],
)
async def test_predict_transaction_rejects_bad_input(harness: Any, change: dict[str, Any],
                                                     word: str) -> None:
    r = await harness.client.post("/predict-transaction", json={**POWER, **change})
    assert r.status_code == 422
    assert word in r.json()["message"]
    assert harness.fakes["transaction_predictor"].batches == []  # the model never saw it


async def test_segment_user(harness: Any) -> None:
    r = await harness.client.post("/segment-user", json=SEGMENT)
    assert r.status_code == 200
    assert r.json() == {"visitorid": "user_test_segment_01", "cluster_id": 2, "segment": "buyers",
                        "model_version": "3"}


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


async def test_models_lists_versions_metrics_and_data_range(harness: Any) -> None:
    models = (await harness.client.get("/models")).json()["models"]
    assert [m["role"] for m in models] == ["recommender", "transaction_predictor",
                                           "user_segmentation"]
    assert models[0]["version"] == "3"
    assert models[0]["metrics"] == {"auc": 0.81}
    assert models[0]["data_range"]["batches"] == "1-50"


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


async def test_metrics_count_routes_and_versions(harness: Any) -> None:
    await harness.client.get("/recommendations/1")
    await harness.client.get("/recommendations/2")
    text = (await harness.client.get("/metrics")).text
    assert ('shopstream_http_requests_total{method="GET",route="/recommendations/{visitorid}",'
            'status="200"} 2.0') in text
    assert "shopstream_http_request_duration_seconds_bucket" in text
    assert 'shopstream_model_version{name="recommender-model",role="recommender"} 3.0' in text


async def test_metrics_export_upstream_batching(harness: Any) -> None:
    import asyncio

    await asyncio.gather(*(harness.client.get(f"/recommendations/{v}") for v in range(1, 21)))
    text = (await harness.client.get("/metrics")).text
    batches = harness.fakes["recommender"].batches
    assert f'shopstream_upstream_rows_total{{role="recommender"}} {float(sum(batches))}' in text
    assert (f'shopstream_upstream_batches_total{{role="recommender"}} {float(len(batches))}'
            in text)
    assert 'shopstream_upstream_batches_total{role="transaction_predictor"} 0.0' in text
