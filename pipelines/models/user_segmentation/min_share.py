"""Every served segment holds a minimum share of visitors.

KMeans gives a handful of extreme visitors (bot-like, thousands of events) a cluster of their
own: a "segment" of 0.01% of visitors that no one can act on. Such a cluster's centroid is
dropped and its members go to their nearest remaining centroid (the pyfunc's own rule), one
cluster at a time, smallest first, until every cluster holds ``min_share`` of all visitors
(the one-view segment counted in the total) or one cluster is left. The silhouette of what is
served is then measured on the sample with the served labels (numpy + scikit-learn).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pipelines.models.user_segmentation.pyfunc import (
    SegmentationArrays,
    served_clusters,
    standardise,
)

SILHOUETTE_SAMPLE = 10_000


def drop_small_clusters(arrays: SegmentationArrays, min_share: float) -> SegmentationArrays:
    """`arrays` without the centroids of clusters below `min_share` of every visitor."""
    while len(arrays.centroids) > 1:
        labels = served_clusters(arrays, arrays.snapshot_counts)
        sizes = np.bincount(labels, minlength=len(arrays.centroids) + 1)
        shares = sizes[:-1] / max(int(sizes.sum()), 1)
        smallest = int(np.argmin(shares))
        if shares[smallest] >= min_share:
            break
        arrays = replace(arrays, centroids=np.delete(arrays.centroids, smallest, axis=0))
    return arrays


def served_silhouette(arrays: SegmentationArrays, features: np.ndarray, seed: int) -> float:
    """Silhouette of the served assignment on engaged feature rows (n, 7), in the model's
    standardised space; NaN when fewer than two clusters are used."""
    from sklearn.metrics import silhouette_score

    from pipelines.models.user_segmentation.pyfunc import nearest_centroid

    labels = nearest_centroid(arrays, features)
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(silhouette_score(standardise(arrays, features), labels,
                                  sample_size=min(SILHOUETTE_SAMPLE, len(labels)),
                                  random_state=seed))
