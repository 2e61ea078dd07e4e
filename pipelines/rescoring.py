"""Score a registered pyfunc version on a logged holdout with the training code's numpy metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines import columns as cols


def load_python_model(model_uri: str) -> Any:
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model()


def score_version(kind: str, model_uri: str, holdout_path: Path) -> float | None:
    model = load_python_model(model_uri)
    if kind == "recommender":
        return recommender_score(model.arrays, holdout_path)
    if kind == "transaction_predictor":
        return predictor_score(model, pd.read_parquet(holdout_path))
    return segmentation_score(model.arrays, pd.read_parquet(holdout_path))


def recommender_score(arrays: Any, holdout_path: Path) -> float:
    from pipelines.ranking import RankingHoldout, ranking_metrics, served_ranked

    holdout = RankingHoldout.load(holdout_path)
    ranked = served_ranked(arrays, holdout, k=10)
    return ranking_metrics(ranked, holdout, max(len(arrays.item_ids), 1))["hr_at_10"]


def predictor_score(model: Any, frame: pd.DataFrame) -> float | None:
    from sklearn.metrics import average_precision_score

    from pipelines.pyfunc_transaction import ensemble_probability, feature_matrix

    labels = frame[cols.LABEL].to_numpy(np.int64)
    if not 0 < labels.sum() < len(labels):
        return None
    proba = ensemble_probability(model.trees, model.meta.model_type,
                                 feature_matrix(frame, model.meta))
    return float(average_precision_score(labels, proba))


def segmentation_score(arrays: Any, frame: pd.DataFrame) -> float | None:
    from sklearn.metrics import silhouette_score

    from pipelines.pyfunc_segmentation import nearest_centroid, standardise

    features = frame[list(cols.SEGMENT_FEATURES)].to_numpy(np.float64)
    labels = nearest_centroid(arrays, features)
    if len(np.unique(labels)) < 2:
        return None
    z = standardise(arrays, np.maximum(features, 0.0))
    return float(silhouette_score(z, labels, metric="sqeuclidean"))
