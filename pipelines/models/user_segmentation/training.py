"""User segmentation: funnel rules for everyone, KMeans for engaged visitors (Spark).

Visitors with one event form the one-view segment; the others (engaged: two events or more)
are clustered by KMeans in the space of :mod:`.space` (capped log counts and funnel flags),
standardised. k ∈ [k_min, k_max] is chosen on a de-duplicated sample of engaged vectors in
that space (three quarters of all visitors share one vector, which made the old silhouette
meaningless): the best silhouette among the k whose every cluster holds at least
``min_segment_share`` of all visitors and whose refits with four more seeds agree (adjusted
Rand index ≥ ``min_ari``). Names follow from each cluster's members (:mod:`segments`). The
logged Spark model is a PipelineModel (space SQL → assembler → scaler → KMeans); the pyfunc
holds the same caps, scaler statistics and centroids.
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
from pipelines.models.user_segmentation.pyfunc import (
    SegmentationArrays,
    ratios_from_counts,
    served_clusters,
)
from pipelines.models.user_segmentation.segments import ONE_VIEW, member_stats, segment_names
from pipelines.models.user_segmentation.space import CAP_QUANTILE, CAPPED, SPACE, space_sql
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame

logger = logging.getLogger(__name__)
SPACE_VECTOR = "space_features"
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


def space_caps(engaged: DataFrame) -> np.ndarray:
    """The 99th percentile of log1p(events, carts, buys) over engaged visitors (Spark)."""
    from pyspark.sql import functions as sf

    logged = engaged.select(*(sf.log1p(sf.greatest(sf.col(c).cast("double"), sf.lit(0.0)))
                              .alias(c) for c in CAPPED))
    quantiles = logged.approxQuantile(list(CAPPED), [CAP_QUANTILE], 0.001)
    return np.array([q[0] if q else 0.0 for q in quantiles], dtype=np.float64)


def prepare_stages(caps: np.ndarray) -> list[Any]:
    from pyspark.ml.feature import SQLTransformer, StandardScaler, VectorAssembler

    return [
        SQLTransformer(statement=space_sql(caps.tolist())),
        VectorAssembler(inputCols=list(SPACE), outputCol=SPACE_VECTOR),
        StandardScaler(inputCol=SPACE_VECTOR, outputCol=SCALED_VECTOR, withMean=True,
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


def engaged_sample(engaged: DataFrame, caps: np.ndarray,
                   params: SegmentationParams) -> tuple[DataFrame, int]:
    """One row per distinct engaged vector in the clustering space (the contract features of
    any visitor holding it), a seeded sample of at most sample_rows; and how many there are."""
    from pyspark.ml.feature import SQLTransformer
    from pyspark.sql import functions as sf

    spaced = SQLTransformer(statement=space_sql(caps.tolist())).transform(engaged)
    distinct = (spaced.groupBy(*SPACE)
                .agg(*(sf.first(c).alias(c) for c in cols.SEGMENT_FEATURES))
                .select(*cols.SEGMENT_FEATURES).cache())
    total = distinct.count()
    if total < params.k_min * 2:
        msg = (f"only {total} distinct engaged visitor vectors; segmentation needs at least "
               f"{params.k_min * 2}: train on more events or lower --k-min")
        raise NoDataError(msg)
    frac = min(1.0, params.sample_rows / total)
    return (distinct.sample(fraction=frac, seed=params.seed) if frac < 1.0 else distinct), total


def rank_k(silhouettes: dict[int, float], smallest: dict[int, float],
           min_share: float) -> list[int]:
    """The k whose smallest segment holds min_share of the visitors, best silhouette first
    (smaller k on ties); without any, every k by its largest smallest segment."""
    allowed = [k for k in silhouettes if smallest[k] >= min_share]
    if not allowed:
        return sorted(smallest, key=lambda k: (-smallest[k], k))
    return sorted(allowed, key=lambda k: (-silhouettes[k], k))


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


def stable_k(scaled: DataFrame, models: dict[int, Any], ranked: list[int],
             params: SegmentationParams) -> tuple[int, list[float]]:
    """The first k in `ranked` whose refits agree (min ARI ≥ params.min_ari); without one,
    the most stable k tried."""
    tried: dict[int, list[float]] = {}
    for k in ranked:
        tried[k] = stability(scaled, models[k], k, params)
        logger.info("KMeans k=%d adjusted Rand index across seeds: min %.3f", k, min(tried[k]))
        if min(tried[k]) >= params.min_ari:
            return k, tried[k]
    best = max(tried, key=lambda k: (min(tried[k]), -ranked.index(k)))
    return best, tried[best]


def train_user_segmentation(events: DataFrame, params: SegmentationParams) -> SegmentationResult:
    """Visitor aggregates → capped space, scaler + KMeans per k on distinct engaged vectors →
    admissible, stable k with the best silhouette → segments named from their members."""
    from pyspark.ml import Pipeline, PipelineModel
    from pyspark.sql import functions as sf

    with stage("visitor_aggregates"):
        visitors = visitor_aggregates(events).cache()
        engaged = visitors.where(sf.col(cols.TOTAL_EVENTS) >= params.min_events)
        caps = space_caps(engaged)
        sample, distinct = engaged_sample(engaged, caps, params)
    # Scaled by what engaged visitors look like, not by the de-duplicated sample (where rare
    # vectors count as much as common ones).
    prep = Pipeline(stages=prepare_stages(caps)).fit(engaged)
    # A small sample: as few partitions as cores keeps KMeans' per-iteration jobs cheap.
    parallelism = events.sparkSession.sparkContext.defaultParallelism
    scaled = (prep.transform(sample).select(SCALED_VECTOR, *cols.SEGMENT_FEATURES)
              .coalesce(parallelism).cache())
    with stage("k_search"):
        ks = range(params.k_min, max(params.k_min, min(params.k_max, distinct // 2)) + 1)
        silhouettes, models = fit_k_range(scaled, params, ks=ks)
    with stage("snapshot"):
        snapshot = snapshot_arrays(visitors, prep.stages[-1], caps, params.min_events)
        snapshots = {k: drop_small_clusters(with_centroids(snapshot, m),
                                            params.min_segment_share)
                     for k, m in models.items()}
        sizes_by_k = {k: cluster_sizes(a) for k, a in snapshots.items()}
        sample_rows = to_pandas(scaled.select(*cols.SEGMENT_FEATURES)).to_numpy(np.float64)
        served = {k: served_silhouette(a, sample_rows, params.seed) for k, a in snapshots.items()}
    total = max(sum(sizes_by_k[params.k_min]), 1)
    smallest = {k: min(sizes) / total for k, sizes in sizes_by_k.items()}
    ranked = rank_k({k: float(np.nan_to_num(v, nan=-1.0)) for k, v in served.items()},
                    smallest, params.min_segment_share)
    with stage("stability"):
        k, aris = stable_k(scaled, models, ranked, params)
    arrays, sizes = snapshots[k], sizes_by_k[k]
    holdout = to_pandas(scaled.select(*cols.SEGMENT_FEATURES).limit(params.holdout_rows))
    scaled.unpersist()
    metrics = {"k": float(len(arrays.centroids)), "k_fitted": float(k),
               "silhouette": served[k], "silhouette_kmeans": silhouettes[k],
               "silhouette_distinct_counts": counts_silhouette(engaged, arrays, params.seed),
               "distinct_vectors": float(distinct), "ari_min": min(aris),
               "ari_mean": float(np.mean(aris)), "min_segment_share": min(sizes) / total,
               "one_view_share": sizes[-1] / total, "engaged_visitors": float(total - sizes[-1])}
    visitors.unpersist()
    names, profiles = named_profiles(arrays, sizes)
    spark_model = PipelineModel(stages=[*prep.stages, models[k]])
    return SegmentationResult(spark_model, arrays, names, len(arrays.centroids), silhouettes,
                              sizes, profiles, holdout, metrics)


def counts_silhouette(engaged: DataFrame, arrays: SegmentationArrays, seed: int) -> float:
    """Served silhouette over the distinct (events, views, carts, buys) of engaged visitors,
    de-duplicated before the space's caps merge any (a check that the caps do not make the
    headline silhouette)."""
    distinct = engaged.select(*cols.SEGMENT_FEATURES).distinct().limit(200_000)
    return served_silhouette(arrays, to_pandas(distinct).to_numpy(np.float64), seed)


def named_profiles(arrays: SegmentationArrays, sizes: list[int]) -> tuple[
        list[str], pd.DataFrame]:
    """Segment names from member statistics, and one profile row per segment: name, size,
    members' mean features, member statistics."""
    labels = served_clusters(arrays, arrays.snapshot_counts)  # once: 1.3M visitors at full size
    stats = segment_stats(arrays, labels)
    names = [*segment_names(stats[:-1]), ONE_VIEW]
    profiles = pd.concat([pd.DataFrame({"segment": names, "size": sizes}),
                          member_means(arrays, labels),
                          pd.DataFrame(stats).drop(columns=["members"])], axis=1)
    return names, profiles


def segment_stats(arrays: SegmentationArrays, labels: np.ndarray) -> list[dict[str, float]]:
    """member_stats of each cluster's engaged members, then of the one-view visitors (labels:
    the served cluster of each snapshot visitor)."""
    return [member_stats(arrays.snapshot_counts[labels == c])
            for c in range(len(arrays.centroids) + 1)]


def snapshot_arrays(visitors: DataFrame, scaler: Any, caps: np.ndarray,
                    min_events: int) -> SegmentationArrays:
    """Every visitor's stored counts, the space's caps and the scaler; centroids come per k
    (with_centroids)."""
    pdf = to_pandas(visitors.select(cols.VISITORID, *cols.SEGMENT_COUNTS, cols.DISTINCT_ITEMS)
                    ).sort_values(cols.VISITORID)
    return SegmentationArrays(
        mean=np.asarray(scaler.mean.toArray(), dtype=np.float64),
        std=np.asarray(scaler.std.toArray(), dtype=np.float64),
        centroids=np.zeros((0, len(SPACE))),
        snapshot_ids=pdf[cols.VISITORID].to_numpy(np.int64),
        snapshot_counts=pdf[list(cols.SEGMENT_COUNTS)].to_numpy(np.int64),
        snapshot_distinct=pdf[cols.DISTINCT_ITEMS].to_numpy(np.int64),
        engaged_min_events=np.array([min_events], dtype=np.int64),
        caps=caps,
    )


def with_centroids(snapshot: SegmentationArrays, kmeans: Any) -> SegmentationArrays:
    from dataclasses import replace

    return replace(snapshot, centroids=np.vstack(
        [np.asarray(c, dtype=np.float64) for c in kmeans.clusterCenters()]))


def cluster_sizes(arrays: SegmentationArrays) -> list[int]:
    """Visitors per cluster over the whole snapshot, the one-view segment last (the pyfunc's
    own rule)."""
    labels = served_clusters(arrays, arrays.snapshot_counts)
    return np.bincount(labels, minlength=len(arrays.centroids) + 1).tolist()


def member_means(arrays: SegmentationArrays, labels: np.ndarray) -> pd.DataFrame:
    """Each served segment's mean contract features over its members (one-view last)."""
    counts = arrays.snapshot_counts
    features = np.column_stack([counts, ratios_from_counts(counts)]).astype(np.float64)
    rows = [features[labels == c].mean(axis=0) if (labels == c).any()
            else np.zeros(features.shape[1]) for c in range(len(arrays.centroids) + 1)]
    return pd.DataFrame(rows, columns=list(cols.SEGMENT_FEATURES))

