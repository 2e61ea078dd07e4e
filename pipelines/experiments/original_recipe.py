"""The original project's recipe, run side by side on the same held-out period (recipe=original).

- Recommender: explicit ALS (rank 10, maxIter 10, regParam 0.1, coldStartStrategy "drop") on
  one 1/3/5 rating per event row (views, carts and purchases not aggregated), trained before
  our cutoff and scored with our protocol on the same visitors and targets.
- Transaction predictor: RandomForest (20 trees) on per-visitor num_views, num_addtocart,
  distinct_items_interacted with label "visitor has a transaction" over the same events — the
  leaky label: the features count events after the purchase. Scored on our later-period
  sessions (their pre-purchase counts), where a real request would come from.
Nothing is registered: these runs exist to compare.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pipelines.data.features import (
    add_sessions,
    at_or_after,
    before,
    cutoff_before_end,
    event_counts,
    time_bounds,
    weighted_events,
)
from pipelines.lifecycle.descriptions import run_name
from pipelines.lifecycle.tracking import data_tags, finite_metrics, model_run, training_data
from pipelines.models.registry import RECOMMENDER, TRANSACTION_PREDICTOR
from pipelines.models.transaction_predictor.classification import binary_metrics, max_f1_threshold
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pipelines.data.selection import LoadedEvents
    from pipelines.lifecycle.options import TrainOptions
    from shopstream.settings import Settings

logger = logging.getLogger(__name__)
ORIGINAL_FEATURES = list(cols.REQUIRED_SESSION_FEATURES)


def original_recommender_metrics(frame: Any, options: TrainOptions) -> dict[str, float]:
    from pyspark.ml.recommendation import ALS

    from pipelines.data.features import item_confidence
    from pipelines.models.recommender.ranking import als_ranked, ranking_metrics
    from pipelines.models.recommender.training import (
        build_holdout,
        collect_pairs,
        factor_only_arrays,
    )

    params = options.params_of(RECOMMENDER)
    cutoff = cutoff_before_end(time_bounds(frame)[1], params.eval_days)
    train = before(frame, cutoff)
    ratings = weighted_events(train, params.weights).withColumnRenamed(cols.WEIGHT, "rating")
    model = ALS(rank=10, maxIter=10, regParam=0.1, userCol=cols.VISITORID, itemCol=cols.ITEMID,
                ratingCol="rating", coldStartStrategy="drop", seed=params.seed).fit(ratings)
    conf = item_confidence(train, params.weights).cache()
    users, items = collect_pairs(conf)
    holdout = build_holdout(conf, at_or_after(frame, cutoff), users, items,
                            params.max_eval_users, params.seed)
    arrays = factor_only_arrays(model)
    conf.unpersist()
    return ranking_metrics(als_ranked(arrays, holdout, k=20), holdout, len(arrays.item_ids))


def original_predictor_metrics(frame: Any, options: TrainOptions) -> dict[str, float]:
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import RandomForestClassifier
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import functions as sf

    from pipelines.data.session_features import session_rows
    from pipelines.models.transaction_predictor.training import scored

    params = options.params_of(TRANSACTION_PREDICTOR)
    cutoff = cutoff_before_end(time_bounds(frame)[1], params.eval_days)
    visitors = event_counts(before(frame, cutoff), [cols.VISITORID]).select(
        sf.col(cols.TOTAL_VIEWS).cast("double").alias(cols.NUM_VIEWS),
        sf.col(cols.TOTAL_ADDTOCART).cast("double").alias(cols.NUM_ADDTOCART),
        sf.col(cols.DISTINCT_ITEMS).cast("double").alias(cols.DISTINCT_ITEMS_INTERACTED),
        (sf.col(cols.TOTAL_TRANSACTIONS) > 0).cast("int").alias(cols.LABEL),
    )
    pipeline = Pipeline(stages=[
        VectorAssembler(inputCols=ORIGINAL_FEATURES, outputCol="features"),
        RandomForestClassifier(numTrees=20, labelCol=cols.LABEL, seed=params.seed),
    ])
    model = pipeline.fit(visitors)
    train_labels, train_scores = scored(model, visitors)
    later = at_or_after(session_rows(add_sessions(frame)), cutoff, cols.SESSION_START)
    labels, scores = scored(model, later.select(*ORIGINAL_FEATURES, cols.LABEL))
    metrics = binary_metrics(labels, scores, 0.5)
    metrics["leaky_train_pr_auc"] = binary_metrics(train_labels, train_scores, 0.5)["pr_auc"]
    metrics["max_f1_threshold_on_train"] = max_f1_threshold(train_labels, train_scores)
    return metrics


def run_original_recipe(settings: Settings, options: TrainOptions,
                        loaded: LoadedEvents) -> dict[str, dict[str, float]]:
    """Both original models as runs tagged recipe=original; returns their metrics."""
    import mlflow

    bounds = time_bounds(loaded.frame)
    tags = {**data_tags(loaded, bounds), "recipe": "original"}
    data = training_data(loaded, bounds)
    results = {}
    for model, compute in ((RECOMMENDER.name, original_recommender_metrics),
                           (TRANSACTION_PREDICTOR.name, original_predictor_metrics)):
        with model_run(settings, run_name(f"original {model}", data), {**tags, "model": model}):
            metrics = compute(loaded.frame, options)
            mlflow.log_metrics(finite_metrics(metrics))
            mlflow.log_param("eval_days", options.params_of(RECOMMENDER).eval_days)
        results[model] = metrics
        logger.info("original recipe %s: %s", model, metrics)
    return results
