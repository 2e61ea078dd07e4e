"""Segment names read off centroids."""

from __future__ import annotations

import pytest

from pipelines.models.user_segmentation.segments import base_segment_name, segment_names

pytestmark = pytest.mark.unit


def _c(events: float, carts: float, buys: float) -> dict[str, float]:
    return {"total_events": events, "total_views": events - carts - buys,
            "total_addtocart": carts, "total_transactions": buys, "view_ratio": 0.9,
            "addtocart_ratio": 0.05, "transaction_ratio": 0.01}


def test_base_names_follow_behaviour() -> None:
    assert base_segment_name(_c(40, 5, 3)) == "loyal buyers"
    assert base_segment_name(_c(10, 1, 1)) == "one-time buyers"
    assert base_segment_name(_c(8, 1, 0)) == "cart abandoners"
    assert base_segment_name(_c(12, 0, 0)) == "window shoppers"
    assert base_segment_name(_c(1, 0, 0)) == "one-off visitors"


def test_shared_names_are_qualified_by_activity() -> None:
    names = segment_names([_c(30, 0, 0), _c(1, 0, 0), _c(5, 0, 0), _c(10, 1, 1)])
    assert names == ["window shoppers (heavy)", "one-off visitors",
                     "window shoppers (light)", "one-time buyers"]
    assert len(set(names)) == len(names)
