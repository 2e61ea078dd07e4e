"""ServingConfig ports/names and the registry view's metrics/data range."""

from __future__ import annotations

import pytest

from serving.config import build_config
from serving.registry import ProductionVersion
from shopstream.settings import Settings

pytestmark = pytest.mark.unit


def test_ports_pair_per_role_for_blue_green() -> None:
    config = build_config(Settings(scoring_base_port=5101))
    assert config.ports_for("recommender") == (5101, 5104)
    assert config.ports_for("transaction_predictor") == (5102, 5105)
    assert config.ports_for("user_segmentation") == (5103, 5106)


def test_model_names_from_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSTREAM_SERVING_USER_SEGMENTATION_MODEL", "seg-from-env")
    config = build_config(Settings(), names={"recommender": "rec-flag", "transaction_predictor":
                                             None})
    assert config.model_names == {"recommender": "rec-flag",
                                  "transaction_predictor": "transaction_predictor",
                                  "user_segmentation": "seg-from-env"}


def test_version_description_splits_metrics_from_metadata() -> None:
    mv = ProductionVersion("recommender", "4", "run9", {
        "map_at_10": "0.21", "rmse": "1.5", "batches": "1-50", "date_from": "2015-05-03",
        "date_to": "2015-06-01", "git_commit": "abc123", "threshold": "0.4", "note": "x",
        "promotion_decision": "promoted", "promotion_candidate_score": "0.21"})
    d = mv.describe()
    assert mv.uri == "models:/recommender/4"
    assert d["metrics"] == {"map_at_10": 0.21, "rmse": 1.5}
    assert d["data_range"] == {"batches": "1-50", "date_from": "2015-05-03",
                               "date_to": "2015-06-01"}
    assert d["git_commit"] == "abc123" and d["run_id"] == "run9"
    assert d["promotion"] == {"decision": "promoted", "candidate_score": "0.21"}
