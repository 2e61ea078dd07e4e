"""End to end: `shopstream train --json` on small generated data registers all three models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shopstream.settings import Settings
from tests.conftest import unique

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_train_registers_all_three(spark: Any, live_stack: Settings,
                                   small_events_file: Path) -> None:
    import mlflow.pyfunc
    from typer.testing import CliRunner

    from pipelines.lifecycle.tracking import client
    from shopstream.cli import app

    prefix = f"{unique('e2e')}-"
    experiment = unique("test-train")
    settings = live_stack.model_copy(update={"experiment_name": experiment})
    mlflow_client = client(settings)
    # As under `mlflow run`: a project run the three model runs (trained in parallel threads,
    # which have no active run of their own) must nest under.
    parent = mlflow_client.create_run(mlflow_client.create_experiment(experiment)).info.run_id
    result = CliRunner().invoke(app, [
        "train", "--events-file", str(small_events_file), "--name-prefix", prefix,
        "--als-ranks", "16", "--als-alphas", "20", "--als-max-iter", "5",
        "--num-trees", "10", "--max-depth", "5", "--k-max", "4", "--json",
        # 40,000 generated events hold about 10 buying validation sessions: below the
        # predictor's default gate (20), which would keep it from production
        "--min-val-positives", "5",
    ], env={"SHOPSTREAM_EXPERIMENT_NAME": experiment, "MLFLOW_RUN_ID": parent,
            "MLFLOW_TRACKING_URI": live_stack.tracking_uri})
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)  # the whole of stdout is one JSON object
    assert payload["seconds"] > 0
    assert set(payload["models"]) == {"recommender", "transaction_predictor",
                                      "user_segmentation"}
    rec = payload["models"]["recommender"]["metrics"]
    from pipelines.models.registry import spec_of

    assert set(rec) == set(spec_of("recommender").json_metrics)
    assert set(payload["models"]["user_segmentation"]["metrics"]) == {
        *spec_of("user_segmentation").json_metrics, "sizes"}
    for model, info in payload["models"].items():
        name = f"{prefix}{model}"
        version = mlflow_client.get_model_version(name, info["version"])
        assert version.tags["run_id"] == info["run_id"]
        assert {"batches", "date_from", "date_to", "git_commit"} <= set(version.tags)
        spec = spec_of(model)
        metric_tags = set(version.tags) & (set(spec.json_metrics) - {"threshold"})
        assert not metric_tags, "metrics stay on the run, not copied to version tags"
        # the registry explains itself: what it predicts, where, on what data, how good
        assert spec.route in mlflow_client.get_registered_model(name).description
        assert version.description.startswith(f"Trained on `{small_events_file.name}`")
        assert f"`{spec.main_metric}` **" in version.description
        assert "**Promotion:** **production**" in version.description
        assert info["version_url"].endswith("?workflowType=machine_learning")
        assert info["promoted"] is True
        assert mlflow_client.get_model_version_by_alias(name, "production").version == \
            info["version"]
        run = mlflow_client.get_run(info["run_id"])
        days = f"{version.tags['date_from']}..{version.tags['date_to']}"
        assert run.info.run_name == f"{model} · {small_events_file.name} {days}"
        assert run.data.tags["recipe"] == "shopstream"
        assert run.data.tags["mlflow.parentRunId"] == parent
        assert run.inputs.dataset_inputs, "input batches logged as a dataset"
        artifacts = {a.path for a in mlflow_client.list_artifacts(info["run_id"])}
        assert {"plots", "holdout", "data_report"} <= artifacts
        _assert_data_report(mlflow_client, info["run_id"], small_events_file)
        assert json.loads(version.tags["validation_thresholds"])["max_drop_vs_champion"] == 0
        assert version.tags["validation_result"] == "passed"
    predictor = mlflow.pyfunc.load_model(f"models:/{prefix}transaction_predictor@production")
    out = predictor.predict(__import__("pandas").DataFrame(
        [{"num_views": 5, "num_addtocart": 1, "distinct_items_interacted": 3}]))
    assert len(out) == 1 and 0.0 <= out[0].probability <= 1.0
    assert "threshold" in mlflow_client.get_model_version(
        f"{prefix}transaction_predictor", payload["models"]["transaction_predictor"]["version"]
    ).tags
    _second_run_compares_with_the_champion(mlflow_client, small_events_file, prefix,
                                           experiment, live_stack)


def _assert_data_report(mlflow_client: Any, run_id: str, events_file: Path) -> None:
    import pandas as pd

    files = {a.path for a in mlflow_client.list_artifacts(run_id, "data_report")}
    assert files == {"data_report/profile.json", "data_report/item_counts.parquet",
                     "data_report/data_report.html"}
    metrics = mlflow_client.get_run(run_id).data.metrics
    events = pd.read_csv(events_file)
    assert metrics["data_rows"] == len(events)
    assert metrics["data_visitors"] == events["visitorid"].nunique()
    assert metrics["data_items"] == events["itemid"].nunique()
    share = (events["event"] == "transaction").mean()
    assert abs(metrics["data_share_transaction"] - share) < 1e-9
    assert metrics["data_timestamps_out_of_range"] == 0
    assert "data_psi_event_mix" not in metrics, "the first version has no champion window"


def _second_run_compares_with_the_champion(mlflow_client: Any, events_file: Path, prefix: str,
                                           experiment: str, live_stack: Settings) -> None:
    """The same data again: PSI 0 against the champion's window, no new items, and the
    version passes the gate against the champion."""
    from typer.testing import CliRunner

    from shopstream.cli import app

    result = CliRunner().invoke(app, [
        "train", "--models", "user_segmentation", "--events-file", str(events_file),
        "--name-prefix", prefix, "--k-max", "4", "--json",
    ], env={"SHOPSTREAM_EXPERIMENT_NAME": experiment,
            "MLFLOW_TRACKING_URI": live_stack.tracking_uri})
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)["models"]["user_segmentation"]
    metrics = mlflow_client.get_run(info["run_id"]).data.metrics
    assert metrics["data_psi_event_mix"] < 1e-9 and metrics["data_psi_item_popularity"] < 1e-9
    assert metrics["data_new_item_share"] == 0
    version = mlflow_client.get_model_version(f"{prefix}user_segmentation", info["version"])
    assert version.tags["promotion_decision"] == "promoted"
    assert version.tags["data_shift"] == "none"
    assert "change_vs_champion" in version.tags["promotion_reason"]
