"""The session-based next-item protocol (`evaluate_session_protocol`), under session-rec's
Retail Rocket settings (see :mod:`pipelines.models.recommender.sessions` for the data steps).

Views in 30-minute sessions; one-view sessions, items with fewer than 5 views, then sessions
shorter than 2 dropped; repeats kept. Sessions whose last view falls in the last `test_days`
days are the test set (session-rec: 1 day in its single split, 2 days per window slice), the
rest train the models: the item-to-item co-occurrence model, SKNN and V-SKNN (session-rec's
Retail Rocket parameters, :mod:`pipelines.models.recommender.session_knn`) and popularity.
For each test session s and each t ≥ 1 the models see s[:t] and rank s[t] (a seeded sample of
`MAX_PREDICTIONS` steps when there are more); the prefix's items are not banned. Every model
is scored through the pyfunc's session mode (the code a version serves). Logged in one run:
``{item2item,sknn,vsknn,popularity}_{recall,mrr}_at_20``, the evaluated steps (and the share
whose next item is already in the prefix, ``test_repeat_share``), and the
strategy a training run would serve: chosen by validation MRR@20 on the training sessions'
last `test_days` (``served_strategy``; its test metrics as ``served_*``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from pipelines.data.selection import DataSelection, load_events
from pipelines.errors import NoDataError
from pipelines.models.recommender.item2item import cooccurrence_neighbours
from pipelines.models.recommender.params import RecommenderParams
from pipelines.models.recommender.pyfunc import RecommenderArrays
from pipelines.models.recommender.session_knn import SKNN, VSKNN
from pipelines.models.recommender.sessions import (
    KEY,
    MIN_ITEM_SUPPORT,
    MIN_SESSION_LENGTH,
    choose_session_strategy,
    clean_sessions,
    next_item_steps,
    session_index,
    split_last_days,
    strategy_metrics,
    view_sessions,
    with_session,
)
from shopstream import contracts as cols
from shopstream.settings import Settings

logger = logging.getLogger(__name__)
K = 20
MAX_PREDICTIONS = 50_000
MAX_VALIDATION_STEPS = 5_000
DEFAULT_TEST_DAYS = 2.0


def session_arrays(train: pd.DataFrame, params: RecommenderParams) -> RecommenderArrays:
    """Item-to-item neighbours, popularity and the session-kNN index of the training views,
    as the pyfunc's arrays (session strategy item2item; switch with ``with_session``)."""
    neighbours = cooccurrence_neighbours(train[KEY].to_numpy(np.int64),
                                         train[cols.ITEMID].to_numpy(np.int64),
                                         params.n_neighbours)
    counts = train[cols.ITEMID].value_counts()
    empty = np.empty(0, np.int64)
    arrays = RecommenderArrays(
        user_ids=empty, user_factors=np.zeros((0, 1), np.float32), item_ids=empty,
        item_factors=np.zeros((0, 1), np.float32),
        popular_items=counts.index.to_numpy(np.int64)[: params.n_popular],
        popular_scores=counts.to_numpy(np.float64)[: params.n_popular],
        neighbour_keys=neighbours.keys, neighbour_items=neighbours.items,
        neighbour_scores=neighbours.scores, seen_ids=empty, seen_indptr=np.zeros(1, np.int64),
        seen_items=empty,
    )
    return with_session(arrays, "item2item", session_index(train, params.max_knn_sessions))


def served_choice(train: pd.DataFrame, test_days: float, params: RecommenderParams) -> tuple[
    str, dict[str, float]
]:
    """The strategy a training run would serve: best validation MRR@20 on the training
    sessions' own last `test_days` (``val_*`` metrics)."""
    fit, val = split_last_days(train, test_days)
    steps = next_item_steps(val, MAX_VALIDATION_STEPS, params.seed)
    if not steps or fit.empty:
        logger.warning("no validation steps in the training sessions: serving item2item")
        return "item2item", {}
    metrics = strategy_metrics(session_arrays(fit, params), steps, prefix="val_")
    metrics["val_steps"] = float(len(steps))
    return choose_session_strategy(metrics, prefix="val_"), metrics


def protocol_metrics(sessions: pd.DataFrame, test_days: float,
                     params: RecommenderParams) -> tuple[dict[str, float], str]:
    """Every session strategy and popularity on the test steps, and the served choice."""
    train, test = split_last_days(sessions, test_days)
    steps = next_item_steps(test, MAX_PREDICTIONS, params.seed)
    if not steps or train.empty:
        msg = "no test steps left after filtering; select more history or raise test_days"
        raise NoDataError(msg)
    metrics = strategy_metrics(session_arrays(train, params), steps)
    served, val_metrics = served_choice(train, test_days, params)
    metrics.update(val_metrics)
    metrics.update({f"served_{m}": metrics[f"{served}_{m}"]
                    for m in ("recall_at_20", "mrr_at_20")})
    metrics.update({"test_steps": float(len(steps)),
                    "test_repeat_share": float(np.mean([t in p for p, t in steps])),
                    "test_steps_total": float(sum(n - 1 for n in test.groupby(KEY).size())),
                    "test_sessions": float(test[KEY].nunique()),
                    "train_sessions": float(train[KEY].nunique()),
                    "train_items": float(train[cols.ITEMID].nunique())})
    return metrics, served


def evaluate_session_protocol(settings: Settings, selection: DataSelection,
                              test_days: float = DEFAULT_TEST_DAYS,
                              spark: Any = None) -> dict[str, Any]:
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
    params = RecommenderParams()
    metrics, served = protocol_metrics(clean_sessions(view_sessions(loaded.frame)), test_days,
                                       params)
    with parent_run(settings), model_run(settings, run_name("session protocol", data),
                                         tags) as run:
        log_input_dataset(loaded, f"events {data.label}")
        mlflow.log_params({
            "test_days": test_days, "min_item_support": MIN_ITEM_SUPPORT,
            "min_session_length": MIN_SESSION_LENGTH, "k": K, "repeats": "kept",
            "prefix_items_banned": False, "max_predictions": MAX_PREDICTIONS,
            "sknn": SKNN, "vsknn": VSKNN, "item2item_neighbours": params.n_neighbours,
            "max_knn_sessions": params.max_knn_sessions, "served_strategy": served,
            "served_chosen_by": "val_mrr_at_20"})
        mlflow.log_metrics(metrics)
        run_id = run.info.run_id
    return {"run_id": run_id, "served_strategy": served, "test_days": test_days,
            "metrics": metrics}
