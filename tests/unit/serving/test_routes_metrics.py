"""GET /metrics: Prometheus counters per route and model version."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_metrics_count_routes_and_versions(harness: Any) -> None:
    await harness.client.get("/recommendations/1")
    await harness.client.get("/recommendations/2")
    text = (await harness.client.get("/metrics")).text
    assert ('shopstream_http_requests_total{method="GET",route="/recommendations/{visitorid}",'
            'status="200"} 2.0') in text
    assert "shopstream_http_request_duration_seconds_bucket" in text
    assert 'shopstream_model_version{name="recommender-model",role="recommender"} 3.0' in text


async def test_metrics_export_upstream_batching(harness: Any) -> None:

    await asyncio.gather(*(harness.client.get(f"/recommendations/{v}") for v in range(1, 21)))
    text = (await harness.client.get("/metrics")).text
    batches = harness.fakes["recommender"].batches
    assert f'shopstream_upstream_rows_total{{role="recommender"}} {float(sum(batches))}' in text
    assert (f'shopstream_upstream_batches_total{{role="recommender"}} {float(len(batches))}'
            in text)
    assert 'shopstream_upstream_batches_total{role="transaction_predictor"} 0.0' in text
