"""The predictor on small generated data: beats the base rate, pyfunc == Spark probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_predictor_beats_base_rate_on_later_period(predictor_result: Any) -> None:
    metrics = predictor_result.metrics
    assert 0 < metrics["base_rate"] < 0.5
    assert metrics["pr_auc"] > 2 * metrics["base_rate"]
    assert metrics["roc_auc"] > 0.6
    assert 0 <= metrics["threshold"] <= 1


def test_metrics_are_those_of_the_served_request_beside_baselines(predictor_result: Any) -> None:
    from pipelines.models.transaction_predictor import served_eval

    result = predictor_result
    metrics = result.metrics
    served = served_eval.served_scores(result.trees, result.meta, result.holdout)
    assert np.array_equal(served, result.test_scores), "plots and metrics use the served form"
    predicted = served >= metrics["threshold"]
    assert metrics["recall"] == pytest.approx(
        (predicted & (result.test_labels == 1)).sum() / result.test_labels.sum())
    for key in ("full_pr_auc", "cart_only_pr_auc", "history_only_pr_auc", "brier",
                "val_positives", "lift_over_best_baseline"):
        assert np.isfinite(metrics[key]), key
    assert result.meta.monotone_increasing == ["num_addtocart"]


def test_pyfunc_probabilities_match_spark(spark: Any, predictor_result: Any) -> None:
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as sf

    from pipelines.models.transaction_predictor.pyfunc import ensemble_probability, feature_matrix

    frame = predictor_result.holdout.head(1000).reset_index(drop=True)
    sdf = spark.createDataFrame(frame)
    spark_proba = (predictor_result.spark_model.transform(sdf)
                   .select(vector_to_array(sf.col("probability")).getItem(1).alias("p"))
                   .toPandas()["p"].to_numpy())
    ours = ensemble_probability(predictor_result.trees, predictor_result.meta.model_type,
                                feature_matrix(frame, predictor_result.meta))
    assert len(ours) == len(frame) >= 100
    assert np.max(np.abs(ours - spark_proba)) < 1e-6
