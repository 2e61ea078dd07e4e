"""Transaction predictor training: leak-free session rows → weighted Spark RF (or GBT).

Periods by session start: train < validation start ≤ validation < cutoff ≤ evaluation.
Class imbalance: negatives optionally down-sampled (weight 1/rate keeps their mass), then
positives weighted so both classes carry equal total weight. The threshold is the max-F1
point on the validation period; metrics are reported on the later evaluation period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.data.features import at_or_after, before, cutoff_before_end, time_bounds, to_pandas
from pipelines.data.session_features import SESSION_FEATURES, session_rows
from pipelines.errors import NoDataError
from pipelines.lifecycle.timing import stage
from pipelines.models.transaction_predictor.params import PredictorParams
from pipelines.models.transaction_predictor.pyfunc import TransactionMeta, TreeEnsemble
from pipelines.models.transaction_predictor.tree_export import export_trees
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame

logger = logging.getLogger(__name__)
FEATURES_VECTOR = "features"
PROBABILITY = "probability"


@dataclass
class PredictorResult:
    spark_model: PipelineModel
    trees: TreeEnsemble
    meta: TransactionMeta
    metrics: dict[str, float]
    test_labels: np.ndarray
    test_scores: np.ndarray
    holdout: pd.DataFrame
    cutoff_ms: int
    extra: dict[str, Any] = field(default_factory=dict)


def fill_values(train: DataFrame, names: tuple[str, ...]) -> list[float]:
    """Training medians (approximate, 0.1% error) of each feature."""
    quantiles = train.approxQuantile(list(names), [0.5], 0.001)
    return [float(q[0]) if q else 0.0 for q in quantiles]


def balance(train: DataFrame, params: PredictorParams) -> DataFrame:
    """Down-sample negatives to fit max_train_rows, add the class-balancing weight column."""
    from pyspark.sql import functions as sf

    rows = train.groupBy(cols.LABEL).count().collect()
    counts = {int(r[cols.LABEL]): int(r["count"]) for r in rows}
    pos, neg = counts.get(1, 0), counts.get(0, 0)
    if pos == 0 or neg == 0:
        msg = (f"the training period has {pos} buying and {neg} other sessions; both are needed "
               "— select more history")
        raise NoDataError(msg)
    rate = min(1.0, max(params.max_train_rows - pos, 1) / neg)
    sampled = train.where((sf.col(cols.LABEL) == 1) | (sf.rand(params.seed) < rate))
    neg_weight = 1.0 / rate
    pos_weight = neg * 1.0 / pos
    return sampled.withColumn(
        cols.WEIGHT, sf.when(sf.col(cols.LABEL) == 1, pos_weight).otherwise(neg_weight)
    )


def build_classifier(params: PredictorParams) -> Any:
    from pyspark.ml.classification import GBTClassifier, RandomForestClassifier

    common: dict[str, Any] = {"featuresCol": FEATURES_VECTOR, "labelCol": cols.LABEL,
                              "weightCol": cols.WEIGHT, "maxDepth": params.max_depth,
                              "seed": params.seed}
    if params.classifier == "gbt":
        return GBTClassifier(maxIter=params.num_trees, stepSize=0.1, **common)
    return RandomForestClassifier(numTrees=params.num_trees, subsamplingRate=0.8, **common)


def fit_pipeline(train: DataFrame, params: PredictorParams) -> PipelineModel:
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler

    assembler = VectorAssembler(inputCols=list(SESSION_FEATURES), outputCol=FEATURES_VECTOR,
                                handleInvalid="keep")
    return Pipeline(stages=[assembler, build_classifier(params)]).fit(train)


def scored(model: PipelineModel, rows: DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(labels, P(label = 1)) of `rows` under the Spark model."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as sf

    out = to_pandas(model.transform(rows).select(
        cols.LABEL, vector_to_array(sf.col(PROBABILITY)).getItem(1).alias("p")
    ))
    return out[cols.LABEL].to_numpy(np.int64), out["p"].to_numpy(np.float64)


def split_periods(rows: DataFrame, params: PredictorParams) -> tuple[DataFrame, DataFrame,
                                                                      DataFrame, int]:
    _, max_ts = time_bounds(rows.withColumnRenamed(cols.SESSION_START, cols.TIMESTAMP))
    cutoff = cutoff_before_end(max_ts, params.eval_days)
    val_start = cutoff_before_end(cutoff, params.val_days)
    train = before(rows, val_start, cols.SESSION_START)
    val = before(at_or_after(rows, val_start, cols.SESSION_START), cutoff, cols.SESSION_START)
    test = at_or_after(rows, cutoff, cols.SESSION_START)
    return train, val, test, cutoff


def filled(rows: DataFrame, fills: list[float]) -> DataFrame:
    return rows.fillna(dict(zip(SESSION_FEATURES, fills, strict=True)))


def with_seed_only_copies(train: DataFrame, fills: list[float]) -> DataFrame:
    """The training rows plus a copy of each with every optional feature at its median: what
    the model sees when a request carries only the seed's three fields."""
    from pyspark.sql import functions as sf

    fill_of = dict(zip(SESSION_FEATURES, fills, strict=True))
    optional = set(SESSION_FEATURES) - set(cols.REQUIRED_SESSION_FEATURES)
    seed_only = train.select(*[sf.lit(fill_of[c]).cast("double").alias(c) if c in optional
                               else sf.col(c) for c in train.columns])
    return train.unionByName(seed_only)


def train_transaction_predictor(sessions: DataFrame, params: PredictorParams) -> PredictorResult:
    """Sessionised events → fitted model, served-form threshold and metrics, pyfunc arrays."""
    from pipelines.models.transaction_predictor import served_eval

    with stage("session_rows"):
        rows = session_rows(sessions, params.seed).cache()
        train, val, test, cutoff = split_periods(rows, params)
    fills = fill_values(train, SESSION_FEATURES)
    with stage("forest_fit"):
        model = fit_pipeline(balance(with_seed_only_copies(filled(train, fills), fills),
                                     params), params)
    trees = export_trees(model.stages[-1], params.classifier)
    meta = TransactionMeta(
        model_type=params.classifier, feature_names=list(SESSION_FEATURES), fill_values=fills,
        threshold=0.5, required=list(cols.REQUIRED_SESSION_FEATURES),
        monotone_increasing=[cols.NUM_ADDTOCART])
    with stage("score_periods"):
        validation = holdout_sample(filled(val, fills), params)
        meta.threshold, val_positives = served_eval.choose_threshold(trees, meta, validation,
                                                                     params.min_recall)
        holdout = holdout_sample(filled(test, fills), params)
        if holdout.empty:
            msg = "no sessions in the evaluation period; select more history or lower eval_days"
            raise NoDataError(msg)
        metrics, served = served_eval.evaluate(trees, meta, holdout)
    metrics.update(val_sessions=float(len(validation)), val_positives=float(val_positives))
    labels = holdout[cols.LABEL].to_numpy(np.int64)
    rows.unpersist()
    return PredictorResult(model, trees, meta, metrics, labels, served, holdout, cutoff)


def holdout_sample(rows: DataFrame, params: PredictorParams) -> pd.DataFrame:
    """Up to holdout_rows sessions (features + label), seeded: the rows every score is
    computed on, kept for promotion's re-scoring."""
    total = rows.count()
    frac = min(1.0, params.holdout_rows / max(total, 1))
    sample = rows.sample(fraction=frac, seed=params.seed) if frac < 1.0 else rows
    return sample.select(*SESSION_FEATURES, cols.LABEL).toPandas()
