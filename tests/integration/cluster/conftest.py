"""The cluster profile brought up once for these tests, on a free block of ports and in a data
folder of its own (under the project's data folder), and taken down at the end.

Every process the tests start (`shopstream produce|consume|serve`, `mlflow run`) gets the same
settings through SHOPSTREAM_* variables: nothing but settings points them at the cluster.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra import stack
from infra.errors import ToolMissingError
from shopstream.profiles import PORT_BLOCK
from shopstream.settings import PROJECT_ROOT, Settings
from tests.conftest import port_is_free, unique

SHOPSTREAM = str(PROJECT_ROOT / ".venv" / "bin" / "shopstream")


def free_base_port(avoid: set[int]) -> int:
    """The first of PORT_BLOCK free ports, none of them a port the local stack may use."""
    for _ in range(200):
        base = random.randint(20000, 32000 - PORT_BLOCK)
        block = range(base, base + PORT_BLOCK)
        if not avoid.intersection(block) and all(port_is_free(p) for p in block):
            return base
    msg = f"no block of {PORT_BLOCK} free ports found"
    raise RuntimeError(msg)


@dataclass(frozen=True)
class Cluster:
    settings: Settings

    @property
    def env(self) -> dict[str, str]:
        """The environment of a process that should work against this cluster."""
        s = self.settings
        return {
            **os.environ,
            "SHOPSTREAM_PROFILE": "cluster",
            "SHOPSTREAM_CLUSTER_BASE_PORT": str(s.cluster_base_port),
            "SHOPSTREAM_DATA_DIR": str(s.data_dir),
            "SHOPSTREAM_SPARK_DRIVER_MEMORY": s.spark_driver_memory,
            "SHOPSTREAM_SPARK_SHUFFLE_PARTITIONS": str(s.spark_shuffle_partitions),
            "SHOPSTREAM_TOPIC": s.topic,
            "SHOPSTREAM_DLQ_TOPIC": s.dlq_topic,
            "SHOPSTREAM_TOPIC_PARTITIONS": str(s.topic_partitions),
            "SHOPSTREAM_EVENTS_BUCKET": s.events_bucket,
            "SHOPSTREAM_CONSUMER_GROUP": s.consumer_group,
        }

    def isolated(self, partitions: int = 4) -> Cluster:
        """Own topic, DLQ topic, consumer group and bucket (created) on the same cluster."""
        from infra.s3 import ensure_buckets

        name = unique("cluster")
        settings = self.settings.model_copy(update={
            "topic": name, "dlq_topic": f"{name}-dlq", "events_bucket": name,
            "consumer_group": f"{name}-group", "topic_partitions": partitions,
        })
        ensure_buckets(settings, (name,))
        return Cluster(settings)

    def cli(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([SHOPSTREAM, *args], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)

    def status(self) -> dict[str, Any]:
        done = subprocess.run([SHOPSTREAM, "stack", "status", "--profile", "cluster", "--json"],
                              env=self.env, capture_output=True, text=True, timeout=120,
                              check=True)
        return dict(json.loads(done.stdout))


@pytest.fixture(autouse=True)
def _leave_no_cluster_settings_behind(settings: Settings) -> Iterator[None]:
    """The tests here point this process's MLflow client (tracking and registry URIs, the
    MLFLOW_* and credential variables mlflow.set_* and export_credentials write) at the
    cluster; the suite's later tests, and the processes they start, must find the local stack
    again."""
    import mlflow

    saved = dict(os.environ)
    yield
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="package")
def cluster(settings: Settings) -> Iterator[Cluster]:
    """The whole cluster profile answering; stopped (and its folder removed) after the last
    test of this package (it has an __init__.py for that), so the rest of the suite does not
    share the machine's memory with its dozen processes."""
    from infra.postgres import postgres_bin_dir

    try:
        postgres_bin_dir(settings)
    except ToolMissingError as e:
        pytest.skip(str(e))
    avoid = {settings.kafka_port, settings.kafka_controller_port, settings.s3_port,
             settings.mlflow_port, settings.api_port,
             *range(settings.scoring_base_port, settings.scoring_base_port + 12)}
    folder = settings.data_dir / f"test-{unique('cluster')}"
    cluster_settings = settings.model_copy(update={
        "profile": "cluster", "cluster_base_port": free_base_port(avoid), "data_dir": folder,
        "spark_driver_memory": "1g", "spark_shuffle_partitions": 2, "startup_timeout_s": 240.0,
    })
    started = time.monotonic()
    try:
        statuses = stack.up(cluster_settings)
        down = [name for name, st in statuses.items() if not st.running]
        assert not down, f"cluster processes not running: {down}"
        print(f"cluster profile up in {time.monotonic() - started:.0f}s")
        yield Cluster(cluster_settings)
    finally:
        stack.down(cluster_settings)
        from infra.postgres import PostgresService

        shutil.rmtree(PostgresService(cluster_settings).pgdata.parent, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(check: Any, timeout_s: float, what: str, interval: float = 0.5) -> Any:
    """Poll check() until it returns something truthy; fail naming `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} not reached within {timeout_s:.0f}s (last: {last!r})")


def stored_seqs(settings: Settings) -> list[int]:
    """Every stored row's seq, read through the batch index as training reads it."""
    from tests.integration.ingestion.conftest import read_batches

    _, rows = read_batches(settings)
    return [int(s) for s in rows["seq"].to_pylist()]


def assert_each_event_once(settings: Settings, n: int) -> None:
    seqs = stored_seqs(settings)
    assert len(seqs) == n, f"{len(seqs)} rows stored for {n} events"
    assert set(seqs) == set(range(1, n + 1))
