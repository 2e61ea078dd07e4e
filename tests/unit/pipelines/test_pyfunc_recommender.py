"""The recommender pyfunc: pure numpy scoring, saved and loaded through mlflow.pyfunc."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.models.pyfunc_common import answers_frame
from pipelines.models.recommender.factor_index import top_k
from pipelines.models.recommender.packaging import arrays_from_plain, save_recommender_pyfunc
from pipelines.models.recommender.pyfunc import recommend_row

pytestmark = pytest.mark.unit

USERS = [7, 3]
USER_FACTORS = [[1.0, 0.0], [0.0, 1.0]]
ITEMS = [10, 20, 30, 40]
ITEM_FACTORS = [[0.9, 0.1], [0.8, 0.0], [0.1, 0.9], [0.5, 0.5]]
POPULAR = [40, 30, 20, 10]
NEIGHBOURS = {10: [(20, 0.9), (30, 0.1)], 20: [(30, 0.5)]}
PURCHASED = {7: [10]}


def _arrays():
    return arrays_from_plain(USERS, USER_FACTORS, ITEMS, ITEM_FACTORS, POPULAR, NEIGHBOURS,
                             PURCHASED)


def test_top_k_orders_best_first_and_breaks_ties_by_index() -> None:
    assert top_k(np.array([0.1, 0.5, 0.5, 0.9]), 3).tolist() == [3, 1, 2]


def test_known_visitor_gets_als_ranking_without_purchased_items() -> None:
    ids, scores, strategy = recommend_row(_arrays(), "visitor", 7, [], 2, True)
    assert strategy == "als"
    assert ids == [20, 40]
    assert scores == pytest.approx([0.8, 0.5])
    ids, _, _ = recommend_row(_arrays(), "visitor", 7, [], 2, False)
    assert ids == [10, 20]


def test_unknown_visitor_gets_popular() -> None:
    ids, _, strategy = recommend_row(_arrays(), "visitor", 999, [], 2, True)
    assert (ids, strategy) == ([40, 30], "popular")


def test_session_mode_sums_neighbours_and_fills_with_popular() -> None:
    ids, scores, strategy = recommend_row(_arrays(), "session", -1, [10, 20], 4, True)
    assert strategy == "session"
    # 30: 0.5*0.1 + 1*0.5 = 0.55; 20 (a neighbour of 10): 0.5*0.9 = 0.45 — the session's own
    # items may come back (session-rec's protocol counts re-views); then popular ones
    assert ids == [30, 20, 40, 10]
    assert scores == pytest.approx([0.55, 0.45, 0.0, 0.0])


def test_similar_mode_without_neighbours_falls_back_to_popular() -> None:
    ids, _, strategy = recommend_row(_arrays(), "similar", -1, [40], 2, True)
    assert strategy == "popular"
    assert 40 not in ids


def test_saved_model_round_trips_through_mlflow(tmp_path: Path) -> None:
    import mlflow.pyfunc

    path = save_recommender_pyfunc(tmp_path / "m", USERS, USER_FACTORS, ITEMS, ITEM_FACTORS,
                                   POPULAR, NEIGHBOURS, PURCHASED)
    model = mlflow.pyfunc.load_model(str(path))
    frame = pd.DataFrame({"mode": ["visitor", "visitor", "similar"], "visitorid": [7, 5, -1],
                          "items": ["[]", "[]", "[10]"], "k": [2, 2, 1],
                          "exclude_purchased": [True, True, True]})
    out = answers_frame(model.predict(frame))
    assert list(out.columns) == ["items", "scores", "strategy"]
    assert [json.loads(v) for v in out["items"]] == [[20, 40], [40, 30], [20]]
    assert out["strategy"].tolist() == ["als", "popular", "similar"]


def test_visitor_with_history_but_no_factors_gets_similar_items() -> None:
    arrays = arrays_from_plain(USERS, USER_FACTORS, ITEMS, ITEM_FACTORS, POPULAR, NEIGHBOURS,
                               {**PURCHASED, 55: [10]})
    ids, _, strategy = recommend_row(arrays, "visitor", 55, [], 2, True)
    assert strategy == "similar"
    assert ids == [20, 30]
