"""User segmentation: funnel rules for everyone, KMeans for engaged visitors (Spark).

Visitors with one event form the one-view segment; the others (engaged: two events or more)
are clustered by KMeans on log1p-scaled, standardised aggregates. k ∈ [k_min, k_max] is
chosen on a de-duplicated sample of engaged vectors (74 % of visitors share one vector, which
made the old silhouette meaningless): the best silhouette among the k whose every cluster
holds at least ``min_segment_share`` of all visitors. The chosen k is refitted with four more
seeds and the adjusted Rand index against the first is logged (stability). Names follow from
each cluster's members (:mod:`segments`). The logged Spark model is a PipelineModel (log1p SQL
→ assembler → scaler → KMeans); the pyfunc holds the same scaler statistics and centroids.
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
from pipelines.models.user_segmentation.min_share import drop_small_clusters, served_silhouette
from pipelines.models.user_segmentation.params import SegmentationParams
from pipelines.models.user_segmentation.pyfunc import SegmentationArrays
from pipelines.models.user_segmentation.segments import ONE_VIEW, member_stats, segment_names
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


def fit_k_range(scaled: DataFrame, params: SegmentationParams, seed: int | None = None,
                ks: range | None = None) -> tuple[dict[int, float], dict[int, Any]]:
    from pyspark.ml.evaluation import ClusteringEvaluator

    evaluator = ClusteringEvaluator(featuresCol=SCALED_VECTOR, predictionCol=CLUSTER)
    scores: dict[int, float] = {}
    models: dict[int, Any] = {}
    for k in ks or range(params.k_min, params.k_max + 1):
        models[k] = best_of_restarts(scaled, k, params, params.seed if seed is None else seed)
        scores[k] = float(evaluator.evaluate(models[k].transform(scaled)))
        logger.info("KMeans k=%d silhouette %.4f", k, scores[k])
    return scores, models


def best_of_restarts(scaled: DataFrame, k: int, params: SegmentationParams, seed: int) -> Any:
    """The lowest-cost of `params.restarts` KMeans fits (seeds derived from `seed`): one fit
    lands in a seed-dependent local optimum, the best of several is what makes refits with
    other seeds agree (the stability the adjusted Rand index checks)."""
    from pyspark.ml.clustering import KMeans

    fits = [KMeans(k=k, seed=seed * 1_000 + restart, maxIter=params.max_iter,
                   featuresCol=SCALED_VECTOR, predictionCol=CLUSTER).fit(scaled)
            for restart in range(params.restarts)]
    return min(fits, key=lambda model: float(model.summary.trainingCost))


def engaged_sample(visitors: DataFrame, params: SegmentationParams) -> DataFrame:
    """Distinct feature vectors of engaged visitors, a seeded sample of at most sample_rows."""
    from pyspark.sql import functions as sf

    distinct = (visitors.where(sf.col(cols.TOTAL_EVENTS) >= params.min_events)
                .select(*cols.SEGMENT_FEATURES).distinct().cache())
    total = distinct.count()
    if total < params.k_max * 2:
        msg = (f"only {total} distinct engaged visitors; segmentation needs at least "
               f"{params.k_max * 2}")
        raise NoDataError(msg)
    frac = min(1.0, params.sample_rows / total)
    return distinct.sample(fraction=frac, seed=params.seed) if frac < 1.0 else distinct


def choose_k(silhouettes: dict[int, float], smallest: dict[int, float],
             min_share: float) -> int:
    """Best silhouette among the k whose smallest segment holds min_share of the visitors;
    without any, the k with the largest smallest segment."""
    allowed = [k for k in silhouettes if smallest[k] >= min_share]
    if not allowed:
        return max(smallest, key=lambda k: (smallest[k], -k))
    return max(allowed, key=lambda k: (silhouettes[k], -k))


def stability(scaled: DataFrame, chosen: Any, k: int, params: SegmentationParams) -> list[float]:
    """Adjusted Rand index of the chosen model's sample labels against refits with 4 more
    seeds."""
    from sklearn.metrics import adjusted_rand_score

    base = to_pandas(chosen.transform(scaled).select(CLUSTER))[CLUSTER].to_numpy()
    out = []
    for extra in range(1, 5):
        _, models = fit_k_range(scaled, params, seed=params.seed + extra, ks=range(k, k + 1))
        labels = to_pandas(models[k].transform(scaled).select(CLUSTER))[CLUSTER].to_numpy()
        out.append(float(adjusted_rand_score(base, labels)))
    return out


def train_user_segmentation(events: DataFrame, params: SegmentationParams) -> SegmentationResult:
    """Visitor aggregates → scaler + KMeans per k on engaged vectors → admissible k with the
    best silhouette, stability across seeds, segments named from their members."""
    from pyspark.ml import Pipeline, PipelineModel

    with stage("visitor_aggregates"):
        visitors = visitor_aggregates(events).cache()
        sample = engaged_sample(visitors, params)
    prep = Pipeline(stages=prepare_stages()).fit(sample)
    # A small sample: as few partitions as cores keeps KMeans' per-iteration jobs cheap.
    parallelism = events.sparkSession.sparkContext.defaultParallelism
    scaled = (prep.transform(sample).select(SCALED_VECTOR, *cols.SEGMENT_FEATURES)
              .coalesce(parallelism).cache())
    with stage("k_search"):
        silhouettes, models = fit_k_range(scaled, params)
    scaler = prep.stages[-1]
    with stage("snapshot"):
        snapshot = snapshot_arrays(visitors, scaler, params.min_events)
        snapshots = {k: drop_small_clusters(with_centroids(snapshot, m),
                                            params.min_segment_share)
                     for k, m in models.items()}
        sizes_by_k = {k: cluster_sizes(a) for k, a in snapshots.items()}
        sample_rows = to_pandas(scaled.select(*cols.SEGMENT_FEATURES)).to_numpy(np.float64)
        served = {k: served_silhouette(a, sample_rows, params.seed) for k, a in snapshots.items()}
    total = max(sum(sizes_by_k[params.k_min]), 1)
    smallest = {k: min(sizes) / total for k, sizes in sizes_by_k.items()}
    k = choose_k({k: float(np.nan_to_num(v, nan=-1.0)) for k, v in served.items()}, smallest,
                 params.min_segment_share)
    with stage("stability"):
        aris = stability(scaled, models[k], k, params)
    arrays, sizes = snapshots[k], sizes_by_k[k]
    stats = segment_stats(arrays)
    names = [*segment_names(stats[:-1]), ONE_VIEW]
    centroids = pd.concat([original_units(arrays), mean_one_view(arrays)], ignore_index=True)
    profiles = pd.concat([pd.DataFrame({"segment": names, "size": sizes}), centroids,
                          pd.DataFrame(stats).drop(columns=["members"])], axis=1)
    holdout = to_pandas(scaled.select(*cols.SEGMENT_FEATURES).limit(params.holdout_rows))
    scaled.unpersist()
    visitors.unpersist()
    metrics = {"k": float(len(arrays.centroids)), "k_fitted": float(k),
               "silhouette": served[k], "silhouette_kmeans": silhouettes[k], "ari_min": min(aris),
               "ari_mean": float(np.mean(aris)), "min_segment_share": min(sizes) / total,
               "one_view_share": sizes[-1] / total, "engaged_visitors": float(total - sizes[-1])}
    spark_model = PipelineModel(stages=[*prep.stages, models[k]])
    return SegmentationResult(spark_model, arrays, names, len(arrays.centroids), silhouettes,
                              sizes, profiles, holdout, metrics)


def segment_stats(arrays: SegmentationArrays) -> list[dict[str, float]]:
    """member_stats of each cluster's engaged members, then of the one-view visitors."""
    from pipelines.models.user_segmentation.pyfunc import served_clusters

    labels = served_clusters(arrays, arrays.snapshot_counts)
    return [member_stats(arrays.snapshot_counts[labels == c])
            for c in range(len(arrays.centroids) + 1)]


def snapshot_arrays(visitors: DataFrame, scaler: Any, min_events: int) -> SegmentationArrays:
    """Every visitor's stored counts and the scaler; centroids come per k (with_centroids)."""
    pdf = to_pandas(visitors.select(cols.VISITORID, *cols.SEGMENT_COUNTS, cols.DISTINCT_ITEMS)
                    ).sort_values(cols.VISITORID)
    return SegmentationArrays(
        mean=np.asarray(scaler.mean.toArray(), dtype=np.float64),
        std=np.asarray(scaler.std.toArray(), dtype=np.float64),
        centroids=np.zeros((0, len(cols.SEGMENT_FEATURES))),
        snapshot_ids=pdf[cols.VISITORID].to_numpy(np.int64),
        snapshot_counts=pdf[list(cols.SEGMENT_COUNTS)].to_numpy(np.int64),
        snapshot_distinct=pdf[cols.DISTINCT_ITEMS].to_numpy(np.int64),
        engaged_min_events=np.array([min_events], dtype=np.int64),
    )


def with_centroids(snapshot: SegmentationArrays, kmeans: Any) -> SegmentationArrays:
    from dataclasses import replace

    return replace(snapshot, centroids=np.vstack(
        [np.asarray(c, dtype=np.float64) for c in kmeans.clusterCenters()]))


def cluster_sizes(arrays: SegmentationArrays) -> list[int]:
    """Visitors per cluster over the whole snapshot, the one-view segment last (the pyfunc's
    own rule)."""
    from pipelines.models.user_segmentation.pyfunc import served_clusters

    labels = served_clusters(arrays, arrays.snapshot_counts)
    return np.bincount(labels, minlength=len(arrays.centroids) + 1).tolist()


def original_units(arrays: SegmentationArrays) -> pd.DataFrame:
    """Centroids mapped back through the scaler and log1p: one row per segment."""
    logged = arrays.centroids * arrays.std + arrays.mean
    return pd.DataFrame(np.expm1(logged), columns=list(cols.SEGMENT_FEATURES))


def mean_one_view(arrays: SegmentationArrays) -> pd.DataFrame:
    """The one-view segment's profile row: its members' mean features."""
    from pipelines.models.user_segmentation.pyfunc import ratios_from_counts

    counts = arrays.snapshot_counts[arrays.snapshot_counts[:, 0] <= 1]
    if not len(counts):
        return pd.DataFrame([[0.0] * len(cols.SEGMENT_FEATURES)],
                            columns=list(cols.SEGMENT_FEATURES))
    feats = np.column_stack([counts, ratios_from_counts(counts)]).mean(axis=0)
    return pd.DataFrame([feats], columns=list(cols.SEGMENT_FEATURES))

