"""GET /models: production versions with their metrics and data range."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


async def test_models_lists_versions_metrics_and_data_range(harness: Any) -> None:
    models = (await harness.client.get("/models")).json()["models"]
    assert [m["role"] for m in models] == ["recommender", "transaction_predictor",
                                           "user_segmentation"]
    assert models[0]["version"] == "3"
    assert models[0]["metrics"] == {"auc": 0.81}
    assert models[0]["data_range"]["batches"] == "1-50"
