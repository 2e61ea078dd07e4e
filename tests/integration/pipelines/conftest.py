"""Pipelines fixtures: small generated events (known structure) and models trained once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from shopstream.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SMALL_EVENTS = 40_000
SMALL_SEED = 11


@pytest.fixture(scope="session")
def small_events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingestion.synthetic import write_events_csv

    path = tmp_path_factory.mktemp("events") / "events.csv"
    write_events_csv(path, SMALL_EVENTS, SMALL_SEED)
    return path


@pytest.fixture(scope="session")
def small_events(spark: SparkSession, live_stack: Settings, small_events_file: Path) -> DataFrame:
    from pipelines.data.selection import DataSelection, load_events

    loaded = load_events(spark, live_stack, DataSelection(events_file=small_events_file))
    return loaded.frame.cache()


@pytest.fixture(scope="session")
def recommender_result(small_events: DataFrame) -> Any:
    from pipelines.models.recommender.params import RecommenderParams
    from pipelines.models.recommender.training import train_recommender

    params = RecommenderParams(ranks=(16,), alphas=(20.0,), max_iter=6, num_blocks=2)
    return train_recommender(small_events, params)


@pytest.fixture(scope="session")
def predictor_result(small_events: DataFrame) -> Any:
    from pipelines.data.features import add_sessions
    from pipelines.models.transaction_predictor.training import (
        PredictorParams,
        train_transaction_predictor,
    )

    params = PredictorParams(num_trees=15, max_depth=6)
    return train_transaction_predictor(add_sessions(small_events), params)


@pytest.fixture(scope="session")
def segmentation_result(small_events: DataFrame) -> Any:
    from pipelines.models.user_segmentation.training import (
        SegmentationParams,
        train_user_segmentation,
    )

    return train_user_segmentation(small_events, SegmentationParams(k_min=3, k_max=5))
