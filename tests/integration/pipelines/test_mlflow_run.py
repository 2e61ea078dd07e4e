"""`mlflow run .` as a user types it: the real command line, against the local tracking server.

The small generated history is stored as numbered batches in a bucket of its own, so the
entry points' default data selection (the whole batch index) has something to read.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shopstream import contracts
from shopstream.settings import Settings
from tests.conftest import unique
from tests.integration.mlflow_project import mlflow_run as run_project
from tests.integration.mlflow_project import store_as_batches

pytestmark = [pytest.mark.spark, pytest.mark.slow]
SMALL = {"als_alphas": "20", "als_max_iter": "4", "num_trees": "8", "max_depth": "5",
         "k_max": "4"}


@pytest.fixture(scope="module")
def batch_settings(live_stack: Settings, small_events_file: Path) -> Settings:
    """The small history as parquet batches + index entries in a fresh bucket."""
    from infra.s3 import ensure_buckets

    settings = live_stack.model_copy(update={"events_bucket": unique("test-mlflow-run")})
    ensure_buckets(settings, (settings.events_bucket,))
    store_as_batches(settings, small_events_file)
    return settings


def mlflow_run(settings: Settings, entry: str, experiment: str, **params: str) -> str:
    """`mlflow run . -e entry …` from this process's environment; returns its stderr."""
    return run_project(settings, entry, experiment, os.environ,
                       {"SHOPSTREAM_EVENTS_BUCKET": settings.events_bucket}, **params)


def _client(settings: Settings) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=settings.tracking_uri)


def test_main_with_its_defaults_registers_and_promotes_all_models(batch_settings: Settings) -> None:
    from pipelines.models.registry import spec_of

    prefix, experiment = f"{unique('run-main')}-", unique("test-mlflow-run")
    mlflow_run(batch_settings, "main", experiment, name_prefix=prefix)
    client = _client(batch_settings)
    for name in contracts.MODEL_NAMES:
        version = client.get_model_version(f"{prefix}{name}", "1")
        assert version.tags[contracts.MODEL_TYPE_TAG] == name
        assert version.tags["batches"] == "1-4"
        run = client.get_run(version.run_id)
        parent = client.get_run(run.data.tags["mlflow.parentRunId"])
        assert parent.data.tags["mlflow.project.entryPoint"] == "main"
        # Promoted unless the model's own gate refused it (the predictor's, on a history this
        # small, may see too few buying sessions in its validation week): then no alias.
        spec = spec_of(name)
        refusal = spec.refusal(run.data.metrics, spec.default_params())
        aliases = client.get_registered_model(f"{prefix}{name}").aliases
        if refusal is None:
            assert aliases.get(contracts.PRODUCTION_ALIAS) == "1", name
        else:
            assert contracts.PRODUCTION_ALIAS not in aliases, name
            assert version.tags["promotion_decision"] == "rejected-gate"


def test_train_recommender_with_every_parameter_given(batch_settings: Settings,
                                                      small_events_file: Path) -> None:
    import pandas as pd

    stamps = pd.read_csv(small_events_file, usecols=[contracts.TIMESTAMP])[contracts.TIMESTAMP]
    day = [datetime.fromtimestamp(int(ms) / 1000, tz=UTC).date().isoformat()
           for ms in (stamps.min(), stamps.max())]
    prefix = f"{unique('run-rec')}-"
    mlflow_run(batch_settings, "train_recommender", unique("test-mlflow-run"),
               batches="1-3", date_from=day[0], date_to=day[1], events_file="",
               original_ranges="false", promote="false", name_prefix=prefix, als_ranks="8",
               als_reg_params="0.1", als_alphas="20", als_max_iter="3", seed="7",
               eval_days="10")
    client = _client(batch_settings)
    version = client.get_model_version(f"{prefix}recommender", "1")
    params = client.get_run(version.run_id).data.params
    assert (params["ranks"], params["max_iter"], params["seed"], params["eval_days"]) == \
        ("[8]", "3", "7", "10.0")
    assert version.tags["batches"] == "1-3"
    assert not client.get_registered_model(f"{prefix}recommender").aliases  # promote=false


def test_predictor_from_a_file_segmentation_from_batches_then_promote(
        batch_settings: Settings, small_events_file: Path) -> None:
    prefix, experiment = f"{unique('run-models')}-", unique("test-mlflow-run")
    mlflow_run(batch_settings, "train_transaction_predictor", experiment, name_prefix=prefix,
               events_file=str(small_events_file), classifier="rf", num_trees="8",
               max_depth="5")
    mlflow_run(batch_settings, "train_user_segmentation", experiment, name_prefix=prefix,
               k_min="3", k_max="4")
    client = _client(batch_settings)
    predictor = client.get_model_version(f"{prefix}transaction_predictor", "1")
    assert client.get_run(predictor.run_id).data.tags["data_kind"] == "file"
    mlflow_run(batch_settings, "promote", experiment, name=f"{prefix}user_segmentation",
               version="1", force="true")
    tags = client.get_model_version(f"{prefix}user_segmentation", "1").tags
    assert tags["promotion_decision"] == "already-production"


def test_session_protocol_with_its_defaults(batch_settings: Settings) -> None:
    experiment = unique("test-mlflow-run")
    mlflow_run(batch_settings, "evaluate_session_protocol", experiment)
    client = _client(batch_settings)
    exp_id = client.get_experiment_by_name(experiment).experiment_id
    [run] = client.search_runs([exp_id], "tags.protocol = 'session'")
    assert run.data.tags["batches"] == "1-4"
    assert run.data.metrics, "the protocol's metrics are logged"
    project = client.get_run(run.data.tags["mlflow.parentRunId"])
    assert project.data.tags["mlflow.project.entryPoint"] == "evaluate_session_protocol"
