"""No transaction-predictor feature may read an event at or after the session's first
transaction: mutating those events must leave every feature of every session unchanged."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.spark

MIN = 60_000
T0 = 1_433_000_000_000
COLUMNS = ["timestamp", "visitorid", "event", "itemid", "transactionid", "seq", "source"]


def _events(extra_after_purchase: bool) -> list[tuple[Any, ...]]:
    rows = [
        # visitor 1: an earlier browsing session, then a buying session
        (T0, 1, "view", 10, None), (T0 + MIN, 1, "view", 11, None),
        (T0 + 600 * MIN, 1, "view", 10, None), (T0 + 601 * MIN, 1, "addtocart", 10, None),
        (T0 + 603 * MIN, 1, "transaction", 10, 900),
        # visitor 2: one session that never buys
        (T0, 2, "view", 20, None), (T0 + 2 * MIN, 2, "view", 21, None),
    ]
    if extra_after_purchase:
        rows += [
            (T0 + 603 * MIN, 1, "addtocart", 12, None),  # same millisecond as the purchase
            (T0 + 603 * MIN, 1, "view", 13, None),
            (T0 + 604 * MIN, 1, "view", 14, None), (T0 + 610 * MIN, 1, "addtocart", 15, None),
            (T0 + 612 * MIN, 1, "transaction", 15, 901),
            (T0 + 620 * MIN, 1, "view", 16, None),
        ]
    return [(*r, i + 1, "test") for i, r in enumerate(rows)]


def _features(spark: Any, extra: bool) -> Any:
    from pipelines.data.features import add_sessions
    from pipelines.data.session_features import SESSION_FEATURES, session_rows

    frame = spark.createDataFrame(_events(extra), schema=(
        "timestamp long, visitorid long, event string, itemid long, transactionid long, "
        "seq long, source string"))
    rows = session_rows(add_sessions(frame)).toPandas()
    return rows.sort_values(["visitorid", "session_id"]).reset_index(drop=True)[
        ["visitorid", "session_id", "label", *SESSION_FEATURES]]


def test_features_ignore_events_at_or_after_first_transaction(spark: Any) -> None:
    clean = _features(spark, extra=False)
    mutated = _features(spark, extra=True)
    assert clean.to_dict("records") == mutated.to_dict("records")
    buying = clean[(clean.visitorid == 1) & (clean.session_id == 1)].iloc[0]
    assert buying["label"] == 1
    assert (buying["num_views"], buying["num_addtocart"]) == (1, 1)
    assert buying["distinct_items_interacted"] == 1
    assert buying["duration_s"] == 60.0
    assert buying["prev_sessions"] == 1 and buying["prev_transactions"] == 0
    other = clean[clean.visitorid == 2].iloc[0]
    assert other["label"] == 0 and other["num_views"] == 2
