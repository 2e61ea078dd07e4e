"""Recommender training: implicit ALS on aggregated confidence + session item-to-item model.

1. cutoff = last event - eval_days; validation = the val_days before the cutoff.
2. A small grid over rank, regParam and alpha, each fitted (grid_max_iter sweeps) on events
   before the validation start and scored (HR@10, numpy on the collected factors) on the
   validation period.
3. The best parameters refitted on everything before the cutoff; evaluated against the
   popularity baseline on the period after it (see :mod:`pipelines.models.recommender.ranking`).
The registered model is exactly the evaluated one (trained before the cutoff).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines.data.features import (
    add_sessions,
    at_or_after,
    before,
    cutoff_before_end,
    item_confidence,
    item_popularity,
    time_bounds,
    to_pandas,
)
from pipelines.errors import NoDataError
from pipelines.lifecycle.timing import stage
from pipelines.models.recommender.item2item import cooccurrence_neighbours, session_item_pairs
from pipelines.models.recommender.params import RecommenderParams
from pipelines.models.recommender.pyfunc import RecommenderArrays
from pipelines.models.recommender.ranking import (
    RankingHoldout,
    als_ranked,
    csr_from_lists,
    hr_curve,
    popular_ranked,
    ranking_metrics,
    served_ranked,
    with_strategy,
)
from pipelines.models.recommender.sessions import (
    clean_sessions,
    session_index,
    validation_choice,
    view_sessions,
    with_session,
)
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pyspark.ml.recommendation import ALSModel
    from pyspark.sql import DataFrame

logger = logging.getLogger(__name__)
INT32_MAX = 2**31 - 1


@dataclass
class RecommenderResult:
    spark_model: ALSModel
    arrays: RecommenderArrays
    metrics: dict[str, float]
    best: dict[str, float]
    grid_scores: list[dict[str, float]]
    hr_curve_als: list[float]
    hr_curve_popular: list[float]
    holdout: RankingHoldout
    cutoff_ms: int
    extra: dict[str, Any] = field(default_factory=dict)


def als_input(confidence: DataFrame, min_user_items: int) -> DataFrame:
    """The confidence rows of visitors with at least `min_user_items` distinct items (the
    others, mostly one-view visitors, are served from item neighbours instead)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    if min_user_items <= 1:
        return confidence
    per_user = Window.partitionBy(cols.VISITORID)
    return (confidence.withColumn("_n", sf.count(sf.lit(1)).over(per_user))
            .where(sf.col("_n") >= min_user_items).drop("_n"))


def fit_als(confidence: DataFrame, rank: int, reg_param: float, alpha: float,
            params: RecommenderParams, max_iter: int | None = None) -> ALSModel:
    """ALS on `confidence`, which is already the :func:`als_input` rows."""
    from pyspark.ml.recommendation import ALS

    blocks = params.num_blocks or confidence.sparkSession.sparkContext.defaultParallelism
    als = ALS(rank=int(rank), maxIter=max_iter or params.max_iter, regParam=float(reg_param),
              alpha=float(alpha), implicitPrefs=True, userCol=cols.VISITORID, itemCol=cols.ITEMID,
              numUserBlocks=blocks, numItemBlocks=blocks,
              ratingCol=cols.CONFIDENCE, seed=params.seed, coldStartStrategy="drop",
              intermediateStorageLevel="MEMORY_AND_DISK", finalStorageLevel="MEMORY_AND_DISK")
    return als.fit(confidence)


def collect_factors(frame: DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """ALS userFactors/itemFactors → (sorted ids int64, factors float32)."""
    pdf = to_pandas(frame).sort_values("id")
    ids = pdf["id"].to_numpy(np.int64)
    factors = (np.stack(pdf["features"].to_numpy()).astype(np.float32) if len(pdf)
               else np.zeros((0, 1), np.float32))
    return ids, factors


def collect_pairs(confidence: DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (visitor, item) pairs as two int64 arrays sorted by visitor then item."""
    pdf = to_pandas(confidence.select(cols.VISITORID, cols.ITEMID))
    pdf = pdf.sort_values([cols.VISITORID, cols.ITEMID])
    return pdf[cols.VISITORID].to_numpy(np.int64), pdf[cols.ITEMID].to_numpy(np.int64)


def seen_csr(user_ids: np.ndarray, pair_users: np.ndarray, pair_items: np.ndarray) -> tuple[
    np.ndarray, np.ndarray
]:
    """CSR (indptr over user_ids, items) from visitor-sorted pairs."""
    starts = np.searchsorted(pair_users, user_ids, side="left")
    ends = np.searchsorted(pair_users, user_ids, side="right")
    indptr = np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64)
    return indptr, pair_items[np.isin(pair_users, user_ids)]


def build_holdout(train_conf: DataFrame, later: DataFrame, pair_users: np.ndarray,
                  pair_items: np.ndarray, max_users: int, seed: int) -> RankingHoldout:
    """Visitors of train_conf with new items in `later` (items seen before removed)."""
    from pyspark.sql import functions as sf

    users = train_conf.select(cols.VISITORID).distinct()
    pair = [cols.VISITORID, cols.ITEMID]
    new_pairs = (later.select(*pair).distinct().join(users, cols.VISITORID)
                 .join(train_conf.select(*pair), pair, "left_anti"))
    grouped = new_pairs.groupBy(cols.VISITORID).agg(
        sf.sort_array(sf.collect_list(cols.ITEMID)).alias("t"))
    pdf = to_pandas(grouped).sort_values(cols.VISITORID)
    if len(pdf) > max_users:
        pdf = pdf.sample(n=max_users, random_state=seed).sort_values(cols.VISITORID)
    visitors = pdf[cols.VISITORID].to_numpy(np.int64)
    target_indptr, target_items = csr_from_lists(list(pdf["t"]))
    seen_indptr, seen_items = seen_csr(visitors, pair_users, pair_items)
    return RankingHoldout(visitors, target_indptr, target_items, seen_indptr, seen_items)


def popular_items(events: DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    from pyspark.sql import functions as sf

    top = to_pandas(item_popularity(events).orderBy(sf.col(cols.POPULARITY).desc(), cols.ITEMID)
                    .limit(n))
    return top[cols.ITEMID].to_numpy(np.int64), top[cols.POPULARITY].to_numpy(np.float64)


def factor_only_arrays(model: ALSModel) -> RecommenderArrays:
    """The ALS factors alone (no popularity, neighbours or history): enough to rank."""
    user_ids, user_factors = collect_factors(model.userFactors)
    item_ids, item_factors = collect_factors(model.itemFactors)
    empty = np.empty(0, np.int64)
    return RecommenderArrays(user_ids, user_factors, item_ids, item_factors, empty,
                             np.empty(0), empty, np.full((0, 1), -1, np.int64),
                             np.zeros((0, 1), np.float32), empty, np.zeros(1, np.int64),
                             empty)


def score_config(model: ALSModel, holdout: RankingHoldout) -> float:
    arrays = factor_only_arrays(model)
    ranked = als_ranked(arrays, holdout, k=10)
    return ranking_metrics(ranked, holdout, len(arrays.item_ids))["hr_at_10"]


@dataclass
class Validation:
    """The validation period's arrays (best grid model, earlier events) and its holdout."""

    arrays: RecommenderArrays
    holdout: RankingHoldout


def search_grid(events: DataFrame, cutoff_ms: int, params: RecommenderParams) -> tuple[
    dict[str, float], list[dict[str, float]], Validation
]:
    """Fit each grid point before the validation start; best by validation HR@10. Returns the
    best point, every point's score, and the validation arrays of the best point."""
    val_start = cutoff_before_end(cutoff_ms, params.val_days)
    earlier = before(events, val_start)
    fit_conf = item_confidence(earlier, params.weights).cache()
    users, items = collect_pairs(fit_conf)
    holdout = build_holdout(fit_conf, before(at_or_after(events, val_start), cutoff_ms), users,
                            items, params.val_eval_users, params.seed)
    rows = als_input(fit_conf, params.min_user_items).cache()
    scores, models = [], []
    for point in params.grid():
        model = fit_als(rows, int(point["rank"]), point["reg_param"], point["alpha"], params,
                        max_iter=params.grid_max_iter)
        scores.append({**point, "val_hr_at_10": score_config(model, holdout)})
        models.append(model)
        logger.info("ALS %s → validation HR@10 %.4f", point, scores[-1]["val_hr_at_10"])
    rows.unpersist()
    fit_conf.unpersist()
    best = max(range(len(scores)), key=lambda i: scores[i]["val_hr_at_10"])
    arrays = build_arrays(models[best], earlier, users, items, params)
    return ({k: scores[best][k] for k in ("rank", "reg_param", "alpha")},
            scores if len(scores) > 1 else [], Validation(arrays, holdout))


def choose_strategy(validation: Validation, params: RecommenderParams) -> tuple[
    str, float, dict[str, float]
]:
    """The visitor-mode strategy (and blend weight) with the best validation HR@10, served
    exactly as the pyfunc would; ties go to the simpler strategy (item_knn over the visitor's
    own history, then als, then blends): a small validation period often scores every
    candidate alike, and item-kNN is the one that needs no factor model."""
    candidates = [("item_knn", 0.5), ("als", 0.5), *(("blend", w) for w in params.blend_weights)]
    scores: dict[str, float] = {}
    for strategy, weight in candidates:
        variant = with_strategy(validation.arrays, strategy, weight)
        ranked = served_ranked(variant, validation.holdout, k=10)
        name = strategy if strategy != "blend" else f"blend_{weight:g}"
        scores[name] = ranking_metrics(ranked, validation.holdout, 1)["hr_at_10"]
    best = max(range(len(candidates)), key=lambda i: list(scores.values())[i])
    logger.info("visitor strategy on validation: %s", scores)
    return candidates[best][0], candidates[best][1], scores


def train_recommender(events: DataFrame, params: RecommenderParams) -> RecommenderResult:
    """Grid search and strategy choice on validation, final fit before the cutoff, served
    strategy evaluated on test beside ALS, item-kNN, the blend and popularity."""
    _check_id_range(events)
    _, max_ts = time_bounds(events)
    cutoff = cutoff_before_end(max_ts, params.eval_days)
    with stage("grid_search"):
        best, grid_scores, validation = search_grid(events, cutoff, params)
    with stage("strategy"):
        strategy, weight, val_scores = choose_strategy(validation, params)
    train = before(events, cutoff)
    with stage("session_strategy"):
        sessions = clean_sessions(view_sessions(train))
        session_strategy, session_scores = validation_choice(
            sessions, validation.arrays, cutoff_before_end(cutoff, params.val_days),
            params.max_knn_sessions, params.val_session_steps, params.seed)
    train_conf = item_confidence(train, params.weights).cache()
    if train_conf.limit(1).count() == 0:
        msg = "no events before the evaluation cutoff; select more history or lower eval_days"
        raise NoDataError(msg)
    with stage("als_fit"):
        model = fit_als(als_input(train_conf, params.min_user_items), int(best["rank"]),
                        best["reg_param"], best["alpha"], params)
    with stage("holdout"):
        pair_users, pair_items = collect_pairs(train_conf)
        holdout = build_holdout(train_conf, at_or_after(events, cutoff), pair_users, pair_items,
                                params.max_eval_users, params.seed)
    with stage("pyfunc_arrays"):
        arrays = with_session(
            with_strategy(build_arrays(model, train, pair_users, pair_items, params), strategy,
                          weight),
            session_strategy, session_index(sessions, params.max_knn_sessions))
        catalogue = int(train.select(cols.ITEMID).distinct().count())
    train_conf.unpersist()
    with stage("evaluate"):
        metrics, curves = evaluate_beside_baselines(arrays, holdout, catalogue)
    metrics.update({f"val_hr_at_10_{name}": v for name, v in val_scores.items()})
    metrics.update(session_scores)
    metrics["knn_sessions"] = float(arrays.session_index.n_sessions)
    return RecommenderResult(
        spark_model=model, arrays=arrays, metrics=metrics, best=best, grid_scores=grid_scores,
        hr_curve_als=curves["served"], hr_curve_popular=curves["popularity"],
        holdout=holdout, cutoff_ms=cutoff,
        extra={"strategy": strategy, "blend_weight": weight, "session_strategy": session_strategy},
    )


def evaluate_beside_baselines(arrays: RecommenderArrays, holdout: RankingHoldout,
                              catalogue: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Test metrics of the served strategy (unprefixed) and of als_*, item_knn_*, blend_*,
    popularity_* on the same visitors; coverage over the whole catalogue."""
    lists = {"served": served_ranked(arrays, holdout, k=20),
             "popularity": popular_ranked(arrays.popular_items, holdout, k=20)}
    weight = float(arrays.blend_weight[0])
    for name in ("als", "item_knn", "blend"):
        lists[name] = served_ranked(with_strategy(arrays, name, weight), holdout, k=20)
    metrics = ranking_metrics(lists["served"], holdout, catalogue)
    for name in ("als", "item_knn", "blend", "popularity"):
        metrics.update({f"{name}_{k}": v
                        for k, v in ranking_metrics(lists[name], holdout, catalogue).items()})
    metrics["best_baseline_hr_at_10"] = max(metrics["popularity_hr_at_10"],
                                            metrics["item_knn_hr_at_10"])
    metrics["eval_visitors"] = float(len(holdout))
    curves = {name: hr_curve(lists[name], holdout) for name in ("served", "popularity")}
    return metrics, curves


def build_arrays(model: ALSModel, train: DataFrame, pair_users: np.ndarray,
                 pair_items: np.ndarray, params: RecommenderParams) -> RecommenderArrays:
    user_ids, user_factors = collect_factors(model.userFactors)
    item_ids, item_factors = collect_factors(model.itemFactors)
    popular, popular_scores = popular_items(train, params.n_popular)
    codes, items = session_item_pairs(add_sessions(train))
    neighbours = cooccurrence_neighbours(codes, items, params.n_neighbours)
    seen_ids = np.unique(pair_users)
    seen_indptr, seen_items = seen_csr(seen_ids, pair_users, pair_items)
    return RecommenderArrays(
        user_ids=user_ids, user_factors=user_factors, item_ids=item_ids,
        item_factors=item_factors, popular_items=popular, popular_scores=popular_scores,
        neighbour_keys=neighbours.keys, neighbour_items=neighbours.items,
        neighbour_scores=neighbours.scores, seen_ids=seen_ids, seen_indptr=seen_indptr,
        seen_items=seen_items,
    )


def _check_id_range(events: DataFrame) -> None:
    from pyspark.sql import functions as sf

    row = events.agg(sf.max(cols.VISITORID).alias("v"), sf.max(cols.ITEMID).alias("i")).first()
    if row is not None and max(row["v"] or 0, row["i"] or 0) > INT32_MAX:
        msg = "visitor/item ids above 2^31-1 cannot be ALS ids; re-index them before training"
        raise NoDataError(msg)
