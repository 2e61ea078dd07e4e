"""Request bodies the router tests share (the original API's example payloads)."""

from __future__ import annotations

from typing import Any

POWER: dict[str, Any] = {"visitorid_to_identify": "power_shopper_candidate_789",
                         "num_views": 120, "num_addtocart": 7, "distinct_items_interacted": 45}
SEGMENT: dict[str, Any] = {"visitorid_to_identify": "user_test_segment_01", "total_events": 60,
                           "total_views": 45, "total_addtocart": 6, "total_transactions": 3,
                           "view_ratio": 0.75, "addtocart_ratio": 0.10,
                           "transaction_ratio": 0.0667}
