"""The session-based next-item protocol (`evaluate_session_protocol`).

Views only; 30-minute sessions; items with fewer than 5 views dropped, then sessions shorter
than 2 dropped (consecutive re-views of the same item collapsed first); sessions starting in
the last `test_days` are the test set, the rest train the item-to-item model and the
popularity baseline. For each test session s and each t ≥ 1 the models see s[:t] and must
rank s[t] (test items unknown to training are skipped). Logged: Recall@20 and MRR@20 of the
item-to-item model (session mode of the pyfunc: later items weigh more) and of popularity.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from pipelines.data.features import DAY_MS, add_sessions, to_pandas
from pipelines.data.selection import DataSelection, load_events
from pipelines.errors import NoDataError
from pipelines.models.recommender.item2item import cooccurrence_neighbours
from pipelines.models.recommender.pyfunc import SESSION_DECAY, RecommenderArrays, neighbour_top_k
from shopstream import contracts as cols
from shopstream.settings import Settings

logger = logging.getLogger(__name__)
MIN_ITEM_SUPPORT = 5
MIN_SESSION_LENGTH = 2
K = 20
MAX_PREDICTIONS = 50_000


def view_sessions(frame: Any) -> pd.DataFrame:
    """Spark events → pandas (session key, timestamp, item) of views, time-ordered."""
    from pyspark.sql import functions as sf

    views = add_sessions(frame.where(sf.col(cols.EVENT) == cols.VIEW))
    pdf = to_pandas(views.select(sf.xxhash64(cols.VISITORID, cols.SESSION).alias("s"),
                                 cols.SESSION_START, cols.TIMESTAMP, cols.ITEMID))
    return pdf.sort_values(["s", cols.TIMESTAMP], kind="stable").reset_index(drop=True)


def clean_sessions(pdf: pd.DataFrame) -> pd.DataFrame:
    """Collapse consecutive repeats, drop rare items (< 5 views), then short sessions (< 2)."""
    repeat = (pdf["s"].eq(pdf["s"].shift())) & (pdf[cols.ITEMID].eq(pdf[cols.ITEMID].shift()))
    pdf = pdf[~repeat]
    support = pdf[cols.ITEMID].map(pdf[cols.ITEMID].value_counts())
    pdf = pdf[support >= MIN_ITEM_SUPPORT]
    length = pdf["s"].map(pdf["s"].value_counts())
    return pdf[length >= MIN_SESSION_LENGTH].reset_index(drop=True)


def split_sessions(pdf: pd.DataFrame, test_days: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    test_start = int(pdf[cols.SESSION_START].max() - test_days * DAY_MS)
    test = pdf[pdf[cols.SESSION_START] >= test_start]
    train = pdf[pdf[cols.SESSION_START] < test_start]
    test = test[test[cols.ITEMID].isin(set(train[cols.ITEMID].unique()))]
    length = test["s"].map(test["s"].value_counts())
    return train, test[length >= MIN_SESSION_LENGTH]


def session_arrays(train: pd.DataFrame) -> RecommenderArrays:
    neighbours = cooccurrence_neighbours(train["s"].to_numpy(np.int64),
                                         train[cols.ITEMID].to_numpy(np.int64), 50)
    counts = train[cols.ITEMID].value_counts()
    empty = np.empty(0, np.int64)
    return RecommenderArrays(
        user_ids=empty, user_factors=np.zeros((0, 1), np.float32), item_ids=empty,
        item_factors=np.zeros((0, 1), np.float32),
        popular_items=counts.index.to_numpy(np.int64)[: K + 50],
        popular_scores=counts.to_numpy(np.float64)[: K + 50], neighbour_keys=neighbours.keys,
        neighbour_items=neighbours.items, neighbour_scores=neighbours.scores, seen_ids=empty,
        seen_indptr=np.zeros(1, np.int64), seen_items=empty,
    )


def next_item_metrics(arrays: RecommenderArrays, test: pd.DataFrame, seed: int = 42) -> dict[
    str, float
]:
    """Recall@20 / MRR@20 over every (prefix → next item) step of the test sessions."""
    steps = [(items[:t], items[t]) for items in test.groupby("s")[cols.ITEMID].apply(list)
             for t in range(1, len(items))]
    if not steps:
        msg = "no test steps left after filtering; select more history or raise test_days"
        raise NoDataError(msg)
    if len(steps) > MAX_PREDICTIONS:
        picks = np.random.default_rng(seed).choice(len(steps), MAX_PREDICTIONS, replace=False)
        steps = [steps[i] for i in picks]
    popular = arrays.popular_items
    ranks_model, ranks_pop = [], []
    for prefix, target in steps:
        ids, _ = neighbour_top_k(arrays, prefix, K, np.empty(0, np.int64), SESSION_DECAY)
        ranks_model.append(_rank(ids, target))
        ranks_pop.append(_rank(popular[~np.isin(popular, prefix)][:K], target))
    return {**_recall_mrr(ranks_model, "item2item"), **_recall_mrr(ranks_pop, "popularity"),
            "test_steps": float(len(steps))}


def _rank(ids: np.ndarray, target: int) -> int:
    hit = np.flatnonzero(ids[:K] == target)
    return int(hit[0]) + 1 if hit.size else 0


def _recall_mrr(ranks: list[int], prefix: str) -> dict[str, float]:
    arr = np.asarray(ranks)
    return {f"{prefix}_recall_at_20": float((arr > 0).mean()),
            f"{prefix}_mrr_at_20": float(np.where(arr > 0, 1.0 / np.maximum(arr, 1), 0).mean())}


def evaluate_session_protocol(settings: Settings, selection: DataSelection,
                              test_days: float = 7.0, spark: Any = None) -> dict[str, Any]:
    """Run the protocol and log it as a run (tag protocol=session) in the experiment."""
    import mlflow

    from pipelines.data.features import time_bounds
    from pipelines.data.spark import get_spark
    from pipelines.lifecycle.descriptions import run_name
    from pipelines.lifecycle.tracking import (
        data_tags,
        log_input_dataset,
        model_run,
        parent_run,
        training_data,
    )

    session = spark or get_spark(settings, app_name="shopstream-session-protocol")
    loaded = load_events(session, settings, selection)
    bounds = time_bounds(loaded.frame)
    tags = {**data_tags(loaded, bounds), "protocol": "session", "recipe": "shopstream"}
    data = training_data(loaded, bounds)
    train, test = split_sessions(clean_sessions(view_sessions(loaded.frame)), test_days)
    metrics = next_item_metrics(session_arrays(train), test)
    with parent_run(settings), model_run(settings, run_name("session protocol", data),
                                         tags) as run:
        log_input_dataset(loaded, f"events {data.label}")
        mlflow.log_params({"test_days": test_days, "min_item_support": MIN_ITEM_SUPPORT,
                           "min_session_length": MIN_SESSION_LENGTH, "k": K})
        mlflow.log_metrics(metrics)
        run_id = run.info.run_id
    return {"run_id": run_id, "metrics": metrics}
