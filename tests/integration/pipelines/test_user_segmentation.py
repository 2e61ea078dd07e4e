"""Segmentation on small generated data: silhouette per k, named segments, pyfunc == Spark."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_k_admissible_segments_truthful_and_stable(segmentation_result: Any) -> None:
    from pipelines.models.user_segmentation.pyfunc import served_clusters
    from pipelines.models.user_segmentation.segments import ONE_VIEW, contradictions, member_stats

    result = segmentation_result
    scores, metrics = result.silhouettes, result.metrics
    assert sorted(scores) == [3, 4, 5]
    assert len(set(result.names)) == result.k + 1 and result.names[-1] == ONE_VIEW
    total = sum(result.sizes)
    assert metrics["min_segment_share"] == min(result.sizes) / total
    assert metrics["min_segment_share"] >= 0.01, "every segment holds 1% of the visitors"
    assert 0 <= metrics["ari_min"] <= metrics["ari_mean"] <= 1
    assert result.arrays.caps is not None and result.arrays.centroids.shape[1] == 5
    assert -1 <= metrics["silhouette_distinct_counts"] <= 1
    assert metrics["distinct_vectors"] >= 2 * 3, "k is chosen on distinct vectors of the space"
    counts = result.arrays.snapshot_counts
    labels = served_clusters(result.arrays, counts)
    assert np.bincount(labels, minlength=result.k + 1).tolist() == result.sizes
    assert (counts[labels == result.k, 0] <= 1).all(), "one-view = exactly the one-event"
    for cluster, name in enumerate(result.names):
        assert contradictions(name, member_stats(counts[labels == cluster])) == []


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
    # The pyfunc serves the fitted centroids minus those of clusters under the minimum share
    # (their members go to the nearest kept centroid): Spark's cluster c is served as the
    # kept centroid equal to its centre; rows of a dropped cluster are served elsewhere.
    centres = np.vstack(segmentation_result.spark_model.stages[-1].clusterCenters())
    kept = segmentation_result.arrays.centroids
    served_id = {c: int(np.flatnonzero(np.isclose(kept, centre).all(axis=1))[0])
                 for c, centre in enumerate(centres) if np.isclose(kept, centre).all(axis=1).any()}
    spark_ids = spark_rows["cluster_id"].to_numpy()
    mapped = np.array([served_id.get(int(c), -1) for c in spark_ids])
    assert len(served_id) == len(kept)
    assert (ours[mapped >= 0] == mapped[mapped >= 0]).all()


def sf_rand() -> Any:
    from pyspark.sql import functions as sf

    return sf.rand(7)
