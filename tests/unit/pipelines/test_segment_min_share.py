"""Served segments hold a minimum share: tiny clusters' centroids are dropped, their members
go to the nearest remaining centroid, and the silhouette is that of the served labels."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.models.user_segmentation.min_share import drop_small_clusters, served_silhouette
from pipelines.models.user_segmentation.pyfunc import (
    SegmentationArrays,
    ratios_from_counts,
    served_clusters,
    standardise,
)

pytestmark = pytest.mark.unit


def _arrays(counts: np.ndarray) -> SegmentationArrays:
    features = np.column_stack([counts, ratios_from_counts(counts)])
    logged = np.log1p(features)
    mean, std = logged.mean(axis=0), logged.std(axis=0)
    arrays = SegmentationArrays(mean=mean, std=std, centroids=np.zeros((0, 7)),
                                snapshot_ids=np.arange(len(counts), dtype=np.int64),
                                snapshot_counts=counts,
                                engaged_min_events=np.array([2], dtype=np.int64))
    groups = [counts[:, 0] == 3, counts[:, 0] == 40, counts[:, 0] == 5000]
    centroids = np.vstack([standardise(arrays, features[g]).mean(axis=0) for g in groups])
    return SegmentationArrays(**{**arrays.__dict__, "centroids": centroids})


def _visitors() -> np.ndarray:
    browsers = np.tile([3, 3, 0, 0], (600, 1))
    buyers = np.tile([40, 30, 6, 4], (300, 1))
    bots = np.tile([5000, 5000, 0, 0], (3, 1))  # 0.3% of visitors
    one_view = np.tile([1, 1, 0, 0], (97, 1))
    return np.vstack([browsers, buyers, bots, one_view]).astype(np.int64)


def test_a_cluster_below_the_share_is_merged_into_its_nearest_neighbour() -> None:
    arrays = _arrays(_visitors())
    before = np.bincount(served_clusters(arrays, arrays.snapshot_counts), minlength=4)
    assert before.tolist() == [600, 300, 3, 97]
    merged = drop_small_clusters(arrays, 0.01)
    sizes = np.bincount(served_clusters(merged, merged.snapshot_counts), minlength=3)
    assert len(merged.centroids) == 2
    assert (sizes / sizes.sum() >= 0.01).all()
    assert sizes[-1] == 97  # the one-view segment is never touched
    assert sizes[:2].sum() == 903


def test_nothing_is_dropped_when_every_cluster_is_large_enough() -> None:
    arrays = _arrays(_visitors())
    assert len(drop_small_clusters(arrays, 0.001).centroids) == 3


def test_served_silhouette_scores_the_served_labels() -> None:
    arrays = _arrays(_visitors())
    counts = _visitors()[:900]
    features = np.column_stack([counts, ratios_from_counts(counts)]).astype(np.float64)
    assert served_silhouette(arrays, features, 1) > 0.9  # two tight, far-apart groups
    one = SegmentationArrays(**{**arrays.__dict__, "centroids": arrays.centroids[:1]})
    assert np.isnan(served_silhouette(one, features, 1))
