"""Segmentation on small generated data: silhouette per k, named segments, pyfunc == Spark."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_k_chosen_by_silhouette(segmentation_result: Any) -> None:
    scores = segmentation_result.silhouettes
    assert sorted(scores) == [3, 4, 5]
    assert segmentation_result.k == max(scores, key=lambda k: scores[k])
    assert len(set(segmentation_result.names)) == segmentation_result.k
    assert sum(segmentation_result.sizes) > 0


def test_pyfunc_clusters_match_spark(spark: Any, small_events: Any,
                                     segmentation_result: Any) -> None:
    from pipelines.data.features import visitor_aggregates
    from pipelines.models.user_segmentation.pyfunc import nearest_centroid
    from shopstream import contracts as cols

    sample = visitor_aggregates(small_events).orderBy(sf_rand()).limit(1000)
    spark_rows = segmentation_result.spark_model.transform(sample).select(
        *cols.SEGMENT_FEATURES, "cluster_id").toPandas()
    features = spark_rows[list(cols.SEGMENT_FEATURES)].to_numpy(np.float64)
    ours = nearest_centroid(segmentation_result.arrays, features)
    assert len(ours) == 1000
    assert (ours == spark_rows["cluster_id"].to_numpy()).all()


def sf_rand() -> Any:
    from pyspark.sql import functions as sf

    return sf.rand(7)
