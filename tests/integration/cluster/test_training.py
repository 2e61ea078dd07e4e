"""`mlflow run . -e main` trains on the Spark standalone cluster and registers and promotes every
model in the registry on PostgreSQL: the real command line, pointed there by settings only."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shopstream import contracts
from shopstream.settings import PROJECT_ROOT, Settings
from tests.conftest import unique
from tests.integration.cluster.conftest import Cluster

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.spark]

EVENTS, SEED, BATCH_ROWS = 40_000, 11, 10_000
# Few trees and iterations; the predictor's promotion gate asks for 1 buying validation session
# (its default, 20, is for real histories: this one is small).
SMALL = {"als_alphas": "20", "als_max_iter": "4", "num_trees": "8", "max_depth": "5",
         "k_min": "3", "k_max": "3", "min_val_positives": "1"}
APP_NAME = "shopstream-train"


def _store_batches(settings: Settings, events_csv: Path) -> None:
    """The small history as numbered parquet batches + index entries (the entry point's
    default selection is the whole batch index)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from infra.s3 import s3_client
    from ingestion.batch_index import BatchEntry, write_entry

    client = s3_client(settings)
    frame = pd.read_csv(events_csv)
    frame[contracts.SEQ] = range(1, len(frame) + 1)
    frame[contracts.SOURCE] = "small"
    frame[contracts.KAFKA_PARTITION] = 0
    frame[contracts.KAFKA_OFFSET] = frame[contracts.SEQ] - 1
    for number, start in enumerate(range(0, len(frame), BATCH_ROWS), start=1):
        part = frame.iloc[start:start + BATCH_ROWS]
        body = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(part, schema=contracts.batch_schema(),
                                            preserve_index=False), body)
        key = f"{settings.batches_prefix}/part-{number:06d}.parquet"
        client.put_object(Bucket=settings.events_bucket, Key=key, Body=body.getvalue())
        offsets = [int(part[contracts.KAFKA_OFFSET].min()), int(part[contracts.KAFKA_OFFSET].max())]
        write_entry(client, settings, BatchEntry(
            number=number, key=key, format="parquet", rows=len(part), offsets={"0": offsets},
            min_ts=None, max_ts=None, sha256=f"small-{number}",
            created_at="2026-01-01T00:00:00Z"))


def _mlflow_run(cluster: Cluster, experiment: str, **params: str) -> None:
    bin_dir = Path(sys.executable).parent
    argv = [str(bin_dir / "mlflow"), "run", ".", "-e", "main", "--env-manager", "local",
            "--experiment-name", experiment]
    for key, value in params.items():
        argv += ["-P", f"{key}={value}"]
    env = {k: v for k, v in cluster.env.items()
           if k not in {"MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"}}
    env |= {"PATH": f"{bin_dir}:{env.get('PATH', '')}",
            "MLFLOW_TRACKING_URI": cluster.settings.tracking_uri,
            **cluster.settings.mlflow_env()}
    done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stderr[-4000:]}"


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
    _store_batches(isolated.settings, events_csv)
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
