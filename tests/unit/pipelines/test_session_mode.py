"""The recommender's session mode: it serves the chosen strategy's ranking, the chosen strategy
is the validation winner, and what the protocol scores is what a saved version answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.models.recommender.packaging import arrays_from_plain, save_recommender_arrays
from pipelines.models.recommender.pyfunc import (
    SESSION_STRATEGIES,
    RecommenderArrays,
    neighbour_top_k,
    recommend_row,
)
from pipelines.models.recommender.session_knn import SKNN, VSKNN, knn_top_k
from pipelines.models.recommender.sessions import (
    KEY,
    choose_session_strategy,
    clean_sessions,
    next_item_steps,
    session_index,
    strategy_metrics,
    validation_choice,
    with_session,
)

pytestmark = pytest.mark.unit
NONE = np.empty(0, np.int64)
POPULAR = [90, 91, 92, 93]
# item2item knows only 1 → 5; the training sessions say 1, 2 → 3 (older) and 2 → 4 (newer)
NEIGHBOURS = {1: [(5, 0.9)], 2: [(5, 0.2)]}
SESSIONS = [[1, 2, 3], [1, 2, 3], [2, 4], [6, 7]]


def sessions_frame(sessions: list[list[int]], start: int = 0) -> pd.DataFrame:
    rows = [(start + j, (start + j) * 60_000 + t, item)
            for j, items in enumerate(sessions) for t, item in enumerate(items)]
    return pd.DataFrame(rows, columns=[KEY, "timestamp", "itemid"])


def plain() -> RecommenderArrays:
    return arrays_from_plain([7], [[1.0]], [80], [[1.0]], POPULAR, NEIGHBOURS, {})


def served_arrays(strategy: str) -> RecommenderArrays:
    arrays = plain()
    return with_session(arrays, strategy, session_index(sessions_frame(SESSIONS), 100))


@pytest.mark.parametrize("strategy", SESSION_STRATEGIES)
def test_session_mode_returns_the_chosen_strategys_ranking(strategy: str) -> None:
    arrays = served_arrays(strategy)
    assert arrays.session_strategy_name == strategy
    ids, _, label = recommend_row(arrays, "session", -1, [1, 2], 6, False)
    assert label == "session"
    if strategy == "item2item":
        expected = neighbour_top_k(arrays, [1, 2], 6, NONE, 0.5, ban_items=False)[0].tolist()
        assert expected == [5]
    else:
        config = SKNN if strategy == "sknn" else VSKNN
        expected = knn_top_k(arrays.session_index, [1, 2], 6, config, NONE)[0].tolist()
        assert expected[:2] == [2, 1] and 5 not in expected
    assert ids[: len(expected)] == expected
    assert ids[len(expected):] == POPULAR[: 6 - len(expected)]  # filled up with popular items


def test_session_mode_answers_popular_when_nothing_scores() -> None:
    ids, _, label = recommend_row(served_arrays("sknn"), "session", -1, [77], 2, False)
    assert (ids, label) == ([90, 91], "popular")


def test_the_strategy_with_the_best_validation_mrr_is_chosen_ties_to_the_simpler() -> None:
    metrics = {"val_item2item_mrr_at_20": 0.2, "val_sknn_mrr_at_20": 0.4,
               "val_vsknn_mrr_at_20": 0.3, "val_vsknn_recall_at_20": 0.9}
    assert choose_session_strategy(metrics, prefix="val_") == "sknn"
    metrics["val_vsknn_mrr_at_20"] = 0.4
    assert choose_session_strategy(metrics, prefix="val_") == "sknn"
    assert choose_session_strategy(metrics, prefix="val_", metric="recall_at_20") == "vsknn"


def test_validation_choice_serves_the_winner_on_later_sessions() -> None:
    # item2item's neighbours never name 3; the kNNs learn 1, 2 → 3 from the earlier sessions
    early = sessions_frame([[1, 2, 3]] * 6)
    later = sessions_frame([[1, 2, 3]] * 3, start=100)
    arrays = plain()
    strategy, metrics = validation_choice(pd.concat([early, later]), arrays, 100 * 60_000,
                                          1000, 100, 1)
    assert metrics["val_session_item2item_mrr_at_20"] < metrics["val_session_sknn_mrr_at_20"]
    best = max(SESSION_STRATEGIES, key=lambda s: metrics[f"val_session_{s}_mrr_at_20"])
    assert metrics[f"val_session_{strategy}_mrr_at_20"] == metrics[f"val_session_{best}_mrr_at_20"]
    assert strategy != "item2item"
    assert metrics["val_session_steps"] == 6  # 3 sessions x 2 steps


def test_validation_choice_without_later_sessions_keeps_item2item() -> None:
    arrays = plain()
    strategy, metrics = validation_choice(sessions_frame(SESSIONS), arrays, 10**12, 100, 10, 1)
    assert (strategy, metrics["val_session_steps"]) == ("item2item", 0.0)


def test_cleaning_keeps_repeats_and_drops_rare_items_and_short_sessions() -> None:
    frame = sessions_frame([[1, 1, 2]] * 5 + [[3]] + [[1, 9]])
    cleaned = clean_sessions(frame)
    assert cleaned.groupby(KEY)["itemid"].agg(list).tolist() == [[1, 1, 2]] * 5


def test_the_protocol_scores_what_a_saved_version_serves(tmp_path: Path) -> None:
    import mlflow.pyfunc

    test = sessions_frame([[1, 2, 3], [2, 4, 2], [6, 7, 1]], start=50)
    steps = next_item_steps(test, 100, 1)
    metrics = strategy_metrics(served_arrays("item2item"), steps)
    for strategy in ("sknn", "vsknn"):
        path = save_recommender_arrays(tmp_path / strategy, served_arrays(strategy))
        model = mlflow.pyfunc.load_model(str(path))
        frame = pd.DataFrame({"mode": "session", "visitorid": -1,
                              "items": [json.dumps(p) for p, _ in steps], "k": 20,
                              "exclude_purchased": False})
        answers = [json.loads(a.items) for a in model.predict(frame)]
        ranks = np.array([a.index(t) + 1 if t in a else 0
                          for a, (_, t) in zip(answers, steps, strict=True)])
        assert metrics[f"{strategy}_recall_at_20"] == pytest.approx((ranks > 0).mean())
        mrr = np.where(ranks > 0, 1 / np.maximum(ranks, 1), 0).mean()
        assert metrics[f"{strategy}_mrr_at_20"] == pytest.approx(mrr)
