"""Sessions for session mode and the session protocol (training side).

Prepared the way session-rec prepares Retail Rocket (``preprocessing/session_based/
preprocess_retailrocket.py``): 30-minute sessions over all of a visitor's events, then views
only; sessions of one view dropped, items with fewer than 5 views dropped, then sessions
shorter than 2 dropped; repeats are kept. A test (or validation) session's items unknown to
the training sessions are dropped, and it needs 2 items left. Every (prefix → next item) step
of a test session is scored with the pyfunc's own session mode (``recommend_row(…,
"session", …)``: what a version serves), the prefix's items not banned.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.data.features import DAY_MS, add_sessions, to_pandas
from pipelines.models.recommender.pyfunc import (
    SESSION_STRATEGIES,
    RecommenderArrays,
    popular_top_k,
    recommend_row,
)
from pipelines.models.recommender.session_knn import (
    SKNN,
    VSKNN,
    SessionIndex,
    build_session_index,
)
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

logger = logging.getLogger(__name__)
KEY = "s"  # session key column: a hash of (visitor, session)
MIN_ITEM_SUPPORT = 5
MIN_SESSION_LENGTH = 2
CUT = 20  # Recall@20, MRR@20
Step = tuple[list[int], int]


def view_sessions(frame: DataFrame) -> pd.DataFrame:
    """Spark events → pandas (s, timestamp, itemid) of views in 30-minute sessions cut over
    all of a visitor's events, ordered by session and time. One-view sessions (the first
    cleaning step, and most sessions) are dropped before collecting."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    views = add_sessions(frame).where(sf.col(cols.EVENT) == cols.VIEW)
    per_session = Window.partitionBy(cols.VISITORID, cols.SESSION)
    views = (views.withColumn("_n", sf.count(sf.lit(1)).over(per_session))
             .where(sf.col("_n") >= 2))
    pdf = to_pandas(views.select(sf.xxhash64(cols.VISITORID, cols.SESSION).alias(KEY),
                                 cols.TIMESTAMP, cols.ITEMID, cols.SEQ))
    pdf = pdf.sort_values([KEY, cols.TIMESTAMP, cols.SEQ], kind="stable")
    return pdf.drop(columns=[cols.SEQ]).reset_index(drop=True)


def _keep_long(pdf: pd.DataFrame, min_length: int) -> pd.DataFrame:
    length = pdf[KEY].map(pdf[KEY].value_counts())
    return pdf[length >= min_length]


def clean_sessions(pdf: pd.DataFrame) -> pd.DataFrame:
    """session-rec's filter: one-view sessions out, items with < 5 views out, then sessions
    with < 2 views out. Repeated views stay."""
    pdf = _keep_long(pdf, 2)
    support = pdf[cols.ITEMID].map(pdf[cols.ITEMID].value_counts())
    pdf = pdf[support >= MIN_ITEM_SUPPORT]
    return _keep_long(pdf, MIN_SESSION_LENGTH).reset_index(drop=True)


def split_sessions(pdf: pd.DataFrame, start_ms: int, by_start: bool = False) -> tuple[
    pd.DataFrame, pd.DataFrame
]:
    """(train, test): train = sessions whose last view is before `start_ms`; test = sessions
    whose last view (session-rec) or, with `by_start`, first view (no test event among the
    training events) is at or after it, restricted to training items, ≥ 2 views left."""
    grouped = pdf.groupby(KEY)[cols.TIMESTAMP]
    last = grouped.transform("max")
    train = pdf[last < start_ms]
    test = pdf[(grouped.transform("min") if by_start else last) >= start_ms]
    test = test[test[cols.ITEMID].isin(train[cols.ITEMID].unique())]
    return train, _keep_long(test, MIN_SESSION_LENGTH)


def split_last_days(pdf: pd.DataFrame, days: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """session-rec's split: sessions ending in the last `days` days are the test set."""
    return split_sessions(pdf, int(pdf[cols.TIMESTAMP].max() - days * DAY_MS))


def session_index(pdf: pd.DataFrame, max_sessions: int) -> SessionIndex:
    """The served index of the `max_sessions` most recent sessions of `pdf`."""
    return build_session_index(pdf[KEY].to_numpy(np.int64),
                               pdf[cols.TIMESTAMP].to_numpy(np.int64),
                               pdf[cols.ITEMID].to_numpy(np.int64), max_sessions,
                               max(SKNN.sample_size, VSKNN.sample_size))


def with_session(arrays: RecommenderArrays, strategy: str,
                 index: SessionIndex | None = None) -> RecommenderArrays:
    """The same arrays serving session mode with `strategy` (and `index`, when given)."""
    fields: dict[str, Any] = {"session_strategy": np.array([SESSION_STRATEGIES.index(strategy)])}
    if index is not None:
        fields.update(knn_session_indptr=index.session_indptr,
                      knn_session_items=index.session_items, knn_item_ids=index.item_ids,
                      knn_item_indptr=index.item_indptr, knn_item_sessions=index.item_sessions)
    variant = replace(arrays, **fields)
    for cached in ("factor_index", "session_index"):
        if cached in arrays.__dict__ and (cached != "session_index" or index is None):
            variant.__dict__[cached] = arrays.__dict__[cached]
    return variant


def next_item_steps(test: pd.DataFrame, max_steps: int, seed: int) -> list[Step]:
    """Every (prefix, next item) of the test sessions; a seeded sample of `max_steps` when
    there are more."""
    steps = [(items[:t], items[t]) for items in test.groupby(KEY)[cols.ITEMID].agg(list)
             for t in range(1, len(items))]
    if len(steps) > max_steps:
        picks = np.sort(np.random.default_rng(seed).choice(len(steps), max_steps,
                                                          replace=False))
        steps = [steps[i] for i in picks]
    return steps


def _rank(ids: list[int] | np.ndarray, target: int) -> int:
    hit = np.flatnonzero(np.asarray(ids[:CUT]) == target)
    return int(hit[0]) + 1 if hit.size else 0


def session_ranks(arrays: RecommenderArrays, steps: list[Step]) -> np.ndarray:
    """Rank (1-based, 0 = not in the top 20) of each step's next item in what the pyfunc's
    session mode answers for its prefix."""
    return np.array([_rank(recommend_row(arrays, "session", -1, prefix, CUT, False)[0], target)
                     for prefix, target in steps], dtype=np.int64)


def popularity_ranks(arrays: RecommenderArrays, steps: list[Step]) -> np.ndarray:
    top, _ = popular_top_k(arrays, CUT, np.empty(0, np.int64))
    return np.array([_rank(top, target) for _, target in steps], dtype=np.int64)


def recall_mrr(ranks: np.ndarray, prefix: str) -> dict[str, float]:
    hit = ranks > 0
    return {f"{prefix}recall_at_20": float(hit.mean()) if ranks.size else 0.0,
            f"{prefix}mrr_at_20": float(np.where(hit, 1.0 / np.maximum(ranks, 1), 0.0).mean())
            if ranks.size else 0.0}


def strategy_metrics(arrays: RecommenderArrays, steps: list[Step],
                     prefix: str = "") -> dict[str, float]:
    """Recall@20 and MRR@20 of every session strategy and of popularity on the same steps:
    ``{prefix}{strategy}_recall_at_20`` …"""
    metrics: dict[str, float] = {}
    for name in SESSION_STRATEGIES:
        ranks = session_ranks(with_session(arrays, name), steps)
        metrics.update(recall_mrr(ranks, f"{prefix}{name}_"))
    metrics.update(recall_mrr(popularity_ranks(arrays, steps), f"{prefix}popularity_"))
    return metrics


def choose_session_strategy(metrics: dict[str, float], prefix: str = "",
                            metric: str = "mrr_at_20") -> str:
    """The session strategy with the best `metric` in `metrics` (see
    :func:`strategy_metrics`); ties go to the simpler one (item2item, sknn, vsknn)."""
    scores = [metrics.get(f"{prefix}{name}_{metric}", float("-inf"))
              for name in SESSION_STRATEGIES]
    return SESSION_STRATEGIES[int(np.argmax(scores))]


def validation_choice(sessions: pd.DataFrame, arrays: RecommenderArrays, start_ms: int,
                      max_sessions: int, max_steps: int, seed: int) -> tuple[
    str, dict[str, float]
]:
    """The session strategy to serve, chosen by MRR@20 on the sessions that begin at or
    after `start_ms`, each strategy fitted on the sessions that ended before it (`arrays`:
    the item-to-item model and popularity of those earlier events). Returns the strategy and
    every candidate's ``val_session_*`` metrics; item2item when nothing is left to validate."""
    fit, val = split_sessions(sessions, start_ms, by_start=True)
    steps = next_item_steps(val, max_steps, seed)
    if not steps or fit.empty:
        logger.warning("no validation sessions for the session strategy: serving item2item")
        return "item2item", {"val_session_steps": 0.0}
    variant = with_session(arrays, "item2item", session_index(fit, max_sessions))
    metrics = strategy_metrics(variant, steps, prefix="val_session_")
    metrics["val_session_steps"] = float(len(steps))
    best = choose_session_strategy(metrics, prefix="val_session_")
    logger.info("session strategy on validation: %s → %s", metrics, best)
    return best, metrics
