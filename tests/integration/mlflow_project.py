"""Shared by the tests that drive the MLflow Project through its real command line (local
stack and cluster profile): a small history stored as numbered batches, and `mlflow run`."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from shopstream import contracts
from shopstream.settings import PROJECT_ROOT, Settings

BATCH_ROWS = 10_000
# What `mlflow run` must not inherit from this process: it makes its own project run.
RUN_SCOPED = frozenset({"MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"})


def store_as_batches(settings: Settings, events_csv: Path, rows: int = BATCH_ROWS) -> None:
    """events_csv as numbered parquet batches of `rows` events + their index entries in
    settings.events_bucket (the entry points' default selection is the whole batch index)."""
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
    for number, start in enumerate(range(0, len(frame), rows), start=1):
        part = frame.iloc[start:start + rows]
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


def mlflow_run(settings: Settings, entry: str, experiment: str, base_env: Mapping[str, str],
               extra_env: Mapping[str, str] | None = None, **params: str) -> str:
    """`mlflow run . -e entry --env-manager local -P k=v …` against settings' tracking server,
    with base_env (minus the run-scoped MLflow variables) plus extra_env; returns its stderr."""
    bin_dir = Path(sys.executable).parent
    argv = [str(bin_dir / "mlflow"), "run", ".", "-e", entry, "--env-manager", "local",
            "--experiment-name", experiment]
    for key, value in params.items():
        argv += ["-P", f"{key}={value}"]
    env = {k: v for k, v in base_env.items() if k not in RUN_SCOPED}
    env |= {"PATH": f"{bin_dir}:{env.get('PATH', '')}",
            "MLFLOW_TRACKING_URI": settings.tracking_uri, **(extra_env or {})}
    done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stderr[-4000:]}"
    return done.stderr
