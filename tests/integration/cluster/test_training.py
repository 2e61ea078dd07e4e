"""`mlflow run . -e main` trains on the Spark standalone cluster and registers and promotes every
model in the registry on PostgreSQL: the real command line, pointed there by settings only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopstream import contracts
from shopstream.settings import Settings
from tests.conftest import unique
from tests.integration.cluster.conftest import Cluster
from tests.integration.mlflow_project import mlflow_run as run_project
from tests.integration.mlflow_project import store_as_batches

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.spark]

EVENTS, SEED = 40_000, 11
# Few trees and iterations; the predictor's promotion gate asks for 1 buying validation session
# (its default, 20, is for real histories: this one is small).
SMALL = {"als_alphas": "20", "als_max_iter": "4", "num_trees": "8", "max_depth": "5",
         "k_min": "3", "k_max": "3", "min_val_positives": "1"}
APP_NAME = "shopstream-train"


def _mlflow_run(cluster: Cluster, experiment: str, **params: str) -> None:
    run_project(cluster.settings, "main", experiment, cluster.env,
                cluster.settings.mlflow_env(), **params)


def _client(settings: Settings) -> Any:
    from mlflow.tracking import MlflowClient

    from shopstream.mlflow_links import export_credentials

    export_credentials(settings)
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


def test_mlflow_run_main_trains_on_both_workers_and_promotes_every_model(
        cluster: Cluster, tmp_path: Path) -> None:
    from infra.cluster import applications, executors_by_worker
    from ingestion.synthetic import write_events_csv

    isolated = cluster.isolated()
    events_csv = tmp_path / "events.csv"
    write_events_csv(events_csv, EVENTS, SEED)
    store_as_batches(isolated.settings, events_csv)
    before = {a["id"] for a in applications(isolated.settings)}
    prefix, experiment = f"{unique('cluster-run')}-", unique("test-cluster-run")
    _mlflow_run(isolated, experiment, name_prefix=prefix, **SMALL)

    apps = [a for a in applications(isolated.settings)
            if a["id"] not in before and a["name"] == APP_NAME]
    assert len(apps) == 1, f"the master ran no (or several) {APP_NAME}: {apps}"
    executors = executors_by_worker(isolated.settings, apps[0]["id"])
    assert all(n >= 1 for n in executors.values()), f"executors by worker: {executors}"

    client = _client(isolated.settings)
    for name in contracts.MODEL_NAMES:
        version = client.get_model_version(f"{prefix}{name}", "1")
        assert version.tags["batches"] == "1-4"
        run = client.get_run(version.run_id)
        parent = client.get_run(run.data.tags["mlflow.parentRunId"])
        assert parent.data.tags["mlflow.project.entryPoint"] == "main"
        aliases = client.get_registered_model(f"{prefix}{name}").aliases
        assert aliases.get(contracts.PRODUCTION_ALIAS) == "1", (name, version.tags)
