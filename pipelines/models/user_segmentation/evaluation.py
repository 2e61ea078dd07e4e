"""Score a registered segmentation version on a logged holdout (promotion's re-scoring): the
silhouette of its nearest-centroid labels in its own standardised space."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.lifecycle.rescoring import load_python_model
from shopstream import contracts as cols

HOLDOUT_FILE = "segmentation_holdout.parquet"  # the evaluation rows each run logs under holdout/

def holdout_silhouette(model_uri: str, holdout_path: Path) -> float | None:
    import pandas as pd
    from sklearn.metrics import silhouette_score

    from pipelines.models.user_segmentation.pyfunc import nearest_centroid, standardise

    arrays = load_python_model(model_uri).arrays
    features = pd.read_parquet(holdout_path)[list(cols.SEGMENT_FEATURES)].to_numpy(np.float64)
    labels = nearest_centroid(arrays, features)
    if len(np.unique(labels)) < 2:
        return None
    z = standardise(arrays, np.maximum(features, 0.0))
    return float(silhouette_score(z, labels, metric="sqeuclidean"))
