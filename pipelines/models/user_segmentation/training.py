"""User segmentation: KMeans on log1p-scaled, standardised visitor aggregates (Spark).

k ∈ [k_min, k_max] is chosen by the silhouette (squared Euclidean, Spark's
ClusteringEvaluator) on a seeded visitor sample; every k's score is kept. The logged Spark
model is a PipelineModel (log1p SQL → assembler → scaler → KMeans) taking the seven raw
feature columns; the pyfunc holds the same scaler statistics and centroids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.data.features import to_pandas, visitor_aggregates
from pipelines.errors import NoDataError
from pipelines.lifecycle.timing import stage
from pipelines.models.user_segmentation.params import SegmentationParams
from pipelines.models.user_segmentation.pyfunc import SegmentationArrays
from pipelines.models.user_segmentation.segments import segment_names
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame

logger = logging.getLogger(__name__)
LOGGED_VECTOR = "log_features"
SCALED_VECTOR = "scaled_features"
CLUSTER = "cluster_id"


@dataclass
class SegmentationResult:
    spark_model: PipelineModel
    arrays: SegmentationArrays
    names: list[str]
    k: int
    silhouettes: dict[int, float]
    sizes: list[int]
    profiles: pd.DataFrame
    holdout: pd.DataFrame
    metrics: dict[str, float] = field(default_factory=dict)


def log_sql() -> str:
    logged = ", ".join(f"log1p(greatest(CAST({c} AS DOUBLE), 0D)) AS log_{c}"
                       for c in cols.SEGMENT_FEATURES)
    return f"SELECT *, {logged} FROM __THIS__"


def prepare_stages() -> list[Any]:
    from pyspark.ml.feature import SQLTransformer, StandardScaler, VectorAssembler

    return [
        SQLTransformer(statement=log_sql()),
        VectorAssembler(inputCols=[f"log_{c}" for c in cols.SEGMENT_FEATURES],
                        outputCol=LOGGED_VECTOR),
        StandardScaler(inputCol=LOGGED_VECTOR, outputCol=SCALED_VECTOR, withMean=True,
                       withStd=True),
    ]


def fit_k_range(scaled: DataFrame, params: SegmentationParams) -> tuple[dict[int, float],
                                                                        dict[int, Any]]:
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.evaluation import ClusteringEvaluator

    evaluator = ClusteringEvaluator(featuresCol=SCALED_VECTOR, predictionCol=CLUSTER)
    scores: dict[int, float] = {}
    models: dict[int, Any] = {}
    for k in range(params.k_min, params.k_max + 1):
        kmeans = KMeans(k=k, seed=params.seed, maxIter=params.max_iter,
                        featuresCol=SCALED_VECTOR, predictionCol=CLUSTER)
        models[k] = kmeans.fit(scaled)
        scores[k] = float(evaluator.evaluate(models[k].transform(scaled)))
        logger.info("KMeans k=%d silhouette %.4f", k, scores[k])
    return scores, models


def train_user_segmentation(events: DataFrame, params: SegmentationParams) -> SegmentationResult:
    """Visitor aggregates → scaler + KMeans per k → best k by silhouette, named segments."""
    from pyspark.ml import Pipeline, PipelineModel

    with stage("visitor_aggregates"):
        visitors = visitor_aggregates(events).cache()
        total = visitors.count()
    if total < params.k_max * 2:
        msg = f"only {total} visitors; segmentation needs at least {params.k_max * 2}"
        raise NoDataError(msg)
    frac = min(1.0, params.sample_rows / total)
    sample = visitors.sample(fraction=frac, seed=params.seed) if frac < 1.0 else visitors
    prep = Pipeline(stages=prepare_stages()).fit(sample)
    # A small sample: as few partitions as cores keeps KMeans' per-iteration jobs cheap.
    parallelism = events.sparkSession.sparkContext.defaultParallelism
    scaled = (prep.transform(sample).select(SCALED_VECTOR, *cols.SEGMENT_FEATURES)
              .coalesce(parallelism).cache())
    with stage("k_search"):
        silhouettes, models = fit_k_range(scaled, params)
    k = max(silhouettes, key=lambda kk: silhouettes[kk])
    kmeans = models[k]
    spark_model = PipelineModel(stages=[*prep.stages, kmeans])
    scaler = prep.stages[-1]
    with stage("snapshot"):
        arrays = snapshot_arrays(visitors, scaler, kmeans)
    sizes = cluster_sizes(arrays)
    centroids = original_units(arrays)
    names = segment_names(centroids.to_dict(orient="records"))
    centroids.insert(0, "segment", names)
    centroids["size"] = sizes
    holdout = to_pandas(scaled.select(*cols.SEGMENT_FEATURES).limit(params.holdout_rows))
    scaled.unpersist()
    visitors.unpersist()
    return SegmentationResult(spark_model, arrays, names, k, silhouettes, sizes, centroids,
                              holdout, {"k": float(k), "silhouette": silhouettes[k]})


def snapshot_arrays(visitors: DataFrame, scaler: Any, kmeans: Any) -> SegmentationArrays:
    pdf = to_pandas(visitors.select(cols.VISITORID, *cols.SEGMENT_COUNTS, cols.DISTINCT_ITEMS)
                    ).sort_values(cols.VISITORID)
    return SegmentationArrays(
        mean=np.asarray(scaler.mean.toArray(), dtype=np.float64),
        std=np.asarray(scaler.std.toArray(), dtype=np.float64),
        centroids=np.vstack([np.asarray(c, dtype=np.float64) for c in kmeans.clusterCenters()]),
        snapshot_ids=pdf[cols.VISITORID].to_numpy(np.int64),
        snapshot_counts=pdf[list(cols.SEGMENT_COUNTS)].to_numpy(np.int64),
        snapshot_distinct=pdf[cols.DISTINCT_ITEMS].to_numpy(np.int64),
    )


def cluster_sizes(arrays: SegmentationArrays) -> list[int]:
    """Visitors per cluster over the whole snapshot (numpy, same rule as the pyfunc)."""
    from pipelines.models.user_segmentation.pyfunc import nearest_centroid, ratios_from_counts

    counts = arrays.snapshot_counts
    sizes = np.zeros(len(arrays.centroids), dtype=np.int64)
    for start in range(0, len(counts), 200_000):
        part = counts[start : start + 200_000]
        feats = np.column_stack([part, ratios_from_counts(part)])
        sizes += np.bincount(nearest_centroid(arrays, feats), minlength=len(sizes))
    return sizes.tolist()


def original_units(arrays: SegmentationArrays) -> pd.DataFrame:
    """Centroids mapped back through the scaler and log1p: one row per segment."""
    logged = arrays.centroids * arrays.std + arrays.mean
    return pd.DataFrame(np.expm1(logged), columns=list(cols.SEGMENT_FEATURES))
