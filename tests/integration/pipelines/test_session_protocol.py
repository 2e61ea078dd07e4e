"""evaluate_session_protocol on small generated data: SKNN, V-SKNN, item2item and popularity
in one logged run, each scored through the pyfunc's session mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopstream.settings import Settings
from tests.conftest import unique

pytestmark = [pytest.mark.spark, pytest.mark.slow]
MODELS = ("sknn", "vsknn", "item2item", "popularity")


def test_session_knns_and_item2item_beat_popularity_in_one_logged_run(
        spark: Any, live_stack: Settings, small_events_file: Path) -> None:
    from mlflow.tracking import MlflowClient

    from pipelines.data.selection import DataSelection
    from pipelines.experiments.session_protocol import evaluate_session_protocol

    settings = live_stack.model_copy(update={"experiment_name": unique("test-sessions")})
    out = evaluate_session_protocol(settings, DataSelection(events_file=small_events_file),
                                    spark=spark)
    metrics = out["metrics"]
    assert metrics["test_steps"] > 50
    assert 0 < metrics["test_repeat_share"] < 1
    for model in ("sknn", "vsknn", "item2item"):
        assert metrics[f"{model}_recall_at_20"] > metrics["popularity_recall_at_20"]
        assert metrics[f"{model}_mrr_at_20"] > metrics["popularity_mrr_at_20"]
    served = out["served_strategy"]
    assert metrics[f"val_{served}_mrr_at_20"] == max(
        metrics[f"val_{m}_mrr_at_20"] for m in ("item2item", "sknn", "vsknn"))
    assert metrics["served_mrr_at_20"] == metrics[f"{served}_mrr_at_20"]

    run = MlflowClient(tracking_uri=settings.tracking_uri).get_run(out["run_id"])
    logged = run.data.metrics
    for model in MODELS:
        assert logged[f"{model}_recall_at_20"] == pytest.approx(metrics[f"{model}_recall_at_20"])
        assert logged[f"{model}_mrr_at_20"] == pytest.approx(metrics[f"{model}_mrr_at_20"])
    assert logged["test_steps"] == metrics["test_steps"]
    assert run.data.params["served_strategy"] == served
    assert run.data.params["test_days"] == "2.0"
