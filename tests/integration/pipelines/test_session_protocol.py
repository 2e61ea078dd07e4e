"""evaluate_session_protocol on small generated data: item-to-item beats popularity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopstream.settings import Settings
from tests.conftest import unique

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_item2item_beats_popularity_on_next_item(spark: Any, live_stack: Settings,
                                                 small_events_file: Path) -> None:
    from pipelines.data.selection import DataSelection
    from pipelines.experiments.session_protocol import evaluate_session_protocol

    settings = live_stack.model_copy(update={"experiment_name": unique("test-sessions")})
    out = evaluate_session_protocol(settings, DataSelection(events_file=small_events_file),
                                    spark=spark)
    metrics = out["metrics"]
    assert metrics["test_steps"] > 50
    assert metrics["item2item_recall_at_20"] > metrics["popularity_recall_at_20"]
    assert metrics["item2item_mrr_at_20"] > metrics["popularity_mrr_at_20"]
    assert out["run_id"]
