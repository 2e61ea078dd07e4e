"""The environment `shopstream serve` gives its scoring processes."""

from __future__ import annotations

import gc

import pytest

from serving.scoring import scoring_env
from shopstream.model_runtime import SCORING_SERVER_ENV, settle_gc
from shopstream.settings import Settings


def test_scoring_servers_are_marked_and_get_the_store_and_tracking_uri() -> None:
    settings = Settings(api_key=None)
    env = scoring_env(settings, workers=2)
    assert env[SCORING_SERVER_ENV] == "1"
    assert env["MLFLOW_TRACKING_URI"] == settings.tracking_uri
    assert env["MLFLOW_S3_ENDPOINT_URL"] == settings.s3_endpoint
    assert env["MLFLOW_MODELS_WORKERS"] == "2"


def test_settle_gc_freezes_only_inside_a_scoring_server(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    thresholds = gc.get_threshold()
    monkeypatch.delenv(SCORING_SERVER_ENV, raising=False)
    settle_gc()
    assert gc.get_freeze_count() == 0  # training, promotion and tests keep a normal GC
    assert gc.get_threshold() == thresholds
    monkeypatch.setenv(SCORING_SERVER_ENV, "1")
    try:
        settle_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] > thresholds[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
