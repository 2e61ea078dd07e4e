"""POST /predict-transaction: the seed contract, validated before the model sees it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.serving.requests import POWER

pytestmark = [pytest.mark.unit, pytest.mark.anyio]


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


async def test_optional_model_inputs_reach_the_model_and_absent_ones_do_not(harness: Any) -> None:
    extra = {"prev_transactions": 2, "days_since_prev_session": 3.5, "start_hour": 14}
    r = await harness.client.post("/predict-transaction", json={**POWER, **extra})
    assert r.status_code == 200
    sent = harness.fakes["transaction_predictor"].rows[-1]
    assert sent == {"num_views": 120, "num_addtocart": 7, "distinct_items_interacted": 45,
                    **extra}
    bad = await harness.client.post("/predict-transaction", json={**POWER, "start_hour": 24})
    assert bad.status_code == 422 and "start_hour" in bad.json()["message"]

