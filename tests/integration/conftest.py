"""Integration fixtures: the real local stack (Kafka, S3, MLflow) and one cheap SparkSession.

The stack is started once per session with `infra.stack.up` (a no-op when it already runs, as
after `make test` started it) and left running: `shopstream stack down` stops it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from infra import stack
from shopstream.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


INTEGRATION_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests under tests/integration (this hook sees every collected item, unit
    tests included, so it must look at where each one lives)."""
    for item in items:
        if INTEGRATION_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def live_stack(settings: Settings) -> Settings:
    """Kafka, S3 and MLflow answering on their configured addresses."""
    statuses = stack.up(settings)
    down = [name for name, st in statuses.items() if not st.running]
    assert not down, f"services not running: {down}"
    return settings


@pytest.fixture(scope="session")
def spark(live_stack: Settings) -> Iterator[SparkSession]:
    """One local[2] SparkSession for the whole run: few shuffle partitions, s3a configured."""
    from pipelines.data.spark import get_spark

    tuned = live_stack.model_copy(
        update={"spark_master": "local[2]", "spark_shuffle_partitions": 4,
                "spark_driver_memory": "3g"}
    )
    session = get_spark(tuned, app_name="shopstream-tests")
    yield session
    session.stop()
