"""The predictor as served: monotone in add-to-carts, evaluated on the router's request form
beside its baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.data.session_features import SESSION_FEATURES
from pipelines.models.transaction_predictor import served_eval
from pipelines.models.transaction_predictor.pyfunc import (
    TransactionMeta,
    TreeEnsemble,
    ensemble_probability,
    feature_matrix,
    served_probability,
)
from shopstream import contracts

pytestmark = pytest.mark.unit
CART = SESSION_FEATURES.index(contracts.NUM_ADDTOCART)
VIEWS = SESSION_FEATURES.index(contracts.NUM_VIEWS)


def _non_monotone_forest() -> TreeEnsemble:
    """Tree 0: carts <= 1.5 → 0.8 else 0.1 (buys *less* with more carts: noise the rule
    must hide); tree 1: views <= 3.5 → (carts <= 0.5 → 0.0 else 0.7) else 0.4."""
    return TreeEnsemble(
        node_offsets=np.array([0, 3, 8]),
        feature=np.array([CART, -1, -1, VIEWS, CART, -1, -1, -1], dtype=np.int32),
        threshold=np.array([1.5, 0, 0, 3.5, 0.5, 0, 0, 0]),
        left=np.array([1, -1, -1, 1, 3, -1, -1, -1], dtype=np.int32),
        right=np.array([2, -1, -1, 2, 4, -1, -1, -1], dtype=np.int32),
        leaf_value=np.array([0, 0.8, 0.1, 0, 0, 0.4, 0.0, 0.7]),
        tree_weights=np.array([1.0, 1.0]),
    )


def _meta(monotone: bool = True) -> TransactionMeta:
    return TransactionMeta(
        model_type="rf", feature_names=list(SESSION_FEATURES),
        fill_values=[1.0] * len(SESSION_FEATURES), threshold=0.5,
        required=list(contracts.REQUIRED_SESSION_FEATURES),
        monotone_increasing=[contracts.NUM_ADDTOCART] if monotone else [])


def _request(views: int, carts: int, distinct: int) -> pd.DataFrame:
    return pd.DataFrame({contracts.NUM_VIEWS: [views], contracts.NUM_ADDTOCART: [carts],
                         contracts.DISTINCT_ITEMS_INTERACTED: [distinct]})


@settings(max_examples=200, deadline=None)
@given(views=st.integers(0, 50), carts=st.integers(0, 20), more=st.integers(1, 20),
       distinct=st.integers(0, 30))
def test_probability_never_decreases_as_num_addtocart_grows(views: int, carts: int, more: int,
                                                            distinct: int) -> None:
    forest, meta = _non_monotone_forest(), _meta()
    low = served_probability(forest, meta, _request(views, carts, distinct))[0]
    high = served_probability(forest, meta, _request(views, carts + more, distinct))[0]
    assert high >= low


def test_the_rule_changes_only_what_breaks_monotonicity() -> None:
    forest = _non_monotone_forest()
    frame = pd.concat([_request(2, c, 1) for c in range(4)], ignore_index=True)
    raw = ensemble_probability(forest, "rf", feature_matrix(frame, _meta(False)))
    served = served_probability(forest, _meta(), frame)
    assert list(raw) == pytest.approx([0.4, 0.75, 0.4, 0.4])  # the forest dips at 2 carts
    assert list(served) == pytest.approx([0.4, 0.75, 0.75, 0.75])


def test_served_form_scores_only_the_seed_fields_and_baselines_use_the_same_rows() -> None:
    forest, meta = _non_monotone_forest(), _meta()
    rows = pd.DataFrame(np.ones((6, len(SESSION_FEATURES))), columns=list(SESSION_FEATURES))
    rows[contracts.NUM_ADDTOCART] = [0, 0, 1, 2, 3, 0]
    rows[contracts.NUM_VIEWS] = [9, 9, 9, 2, 2, 2]
    rows["prev_transactions"] = [0, 0, 0, 1, 0, 0]
    rows[contracts.LABEL] = [0, 0, 1, 1, 1, 0]
    changed = rows.copy()
    changed["duration_s"] = 1e6  # not in the seed request: must not move the served score
    assert np.array_equal(served_eval.served_scores(forest, meta, rows),
                          served_eval.served_scores(forest, meta, changed))
    metrics, served = served_eval.evaluate(forest, meta, rows)
    assert len(served) == 6
    assert metrics["base_rate_pr_auc"] == metrics["base_rate"] == 0.5
    assert metrics["cart_only_pr_auc"] == pytest.approx(1.0)  # carts rank every buyer first
    assert metrics["lift_over_best_baseline"] == pytest.approx(metrics["pr_auc"] - 1.0)
    assert 0.0 <= metrics["brier"] <= 1.0


optional_value = st.one_of(st.none(), st.floats(0, 500, allow_nan=False))


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries(
    {contracts.NUM_VIEWS: st.integers(0, 50), contracts.NUM_ADDTOCART: st.integers(0, 20),
     contracts.DISTINCT_ITEMS_INTERACTED: st.integers(0, 30)},
    optional={name: optional_value for name in contracts.OPTIONAL_SESSION_FEATURES}),
    min_size=1, max_size=8))
def test_the_pyfunc_on_request_rows_scores_what_evaluation_scores_on_frames(
        rows: list[dict[str, float | None]]) -> None:
    """Evaluation runs served_probability on DataFrames; the scoring server hands the pyfunc
    typed rows. Both must give the same probability (left-out or None fields → medians)."""
    from pipelines.models.transaction_predictor.pyfunc import TransactionModel

    model = TransactionModel()
    model.trees, model.meta = _non_monotone_forest(), _meta()
    requests = [contracts.TransactionRequest(**row) for row in rows]
    answers = model.predict(None, requests)
    frame = pd.DataFrame.from_records(rows).reindex(columns=list(SESSION_FEATURES))
    want = served_probability(model.trees, model.meta, frame.astype(float))
    assert [a.probability for a in answers] == pytest.approx(want.tolist())
    assert [a.will_transact for a in answers] == (want >= 0.5).tolist()


def _monotone_by_loop(forest: TreeEnsemble, x: np.ndarray, column: int) -> np.ndarray:
    """The rule written out: each split value below the row's own, one at a time."""
    best = ensemble_probability(forest, "rf", x)
    for value in np.unique(forest.threshold[forest.feature == column]):
        moved = x.copy()
        moved[:, column] = np.minimum(moved[:, column], value)
        best = np.maximum(best, ensemble_probability(forest, "rf", moved))
    return best


@settings(max_examples=100, deadline=None)
@given(carts=st.lists(st.floats(0, 8, allow_nan=False), min_size=1, max_size=12),
       views=st.integers(0, 10))
def test_the_one_pass_rule_matches_the_rule_written_out(carts: list[float], views: int) -> None:
    from pipelines.models.transaction_predictor import pyfunc

    forest = _non_monotone_forest()
    x = np.ones((len(carts), len(SESSION_FEATURES)))
    x[:, CART], x[:, VIEWS] = carts, views
    want = _monotone_by_loop(forest, x, CART)
    assert pyfunc.monotone_probability(forest, "rf", x, CART).tolist() == pytest.approx(
        want.tolist())
    pyfunc_chunk = pyfunc.MONOTONE_CHUNK_ROWS
    try:
        pyfunc.MONOTONE_CHUNK_ROWS = 5  # several chunks
        assert pyfunc.monotone_probability(forest, "rf", x, CART).tolist() == pytest.approx(
            want.tolist())
    finally:
        pyfunc.MONOTONE_CHUNK_ROWS = pyfunc_chunk


def _random_stumps(n_trees: int, seed: int) -> TreeEnsemble:
    """n_trees depth-1 trees on random features, thresholds, leaf values and weights."""
    rng = np.random.default_rng(seed)
    n_features = len(SESSION_FEATURES)
    feature = np.full(3 * n_trees, -1, dtype=np.int32)
    feature[0::3] = rng.integers(0, n_features, n_trees)
    threshold = np.zeros(3 * n_trees)
    threshold[0::3] = rng.uniform(0, 10, n_trees)
    left, right = np.full(3 * n_trees, -1, dtype=np.int32), np.full(3 * n_trees, -1, dtype=np.int32)
    left[0::3], right[0::3] = 1, 2
    return TreeEnsemble(node_offsets=np.arange(0, 3 * n_trees + 1, 3), feature=feature,
                        threshold=threshold, left=left, right=right,
                        leaf_value=rng.uniform(0, 1, 3 * n_trees),
                        tree_weights=rng.uniform(0.5, 1.5, n_trees))


@pytest.mark.parametrize("model_type", ["rf", "gbt"])
def test_a_row_scores_the_same_alone_as_in_any_batch(model_type: str) -> None:
    """The router sends one row or a coalesced batch; evaluation scores whole holdouts. A
    row's probability must not depend on its company, or ties (and PR-AUC) move."""
    forest = _random_stumps(40, seed=3)
    x = np.random.default_rng(4).uniform(0, 10, (300, len(SESSION_FEATURES)))
    batch = ensemble_probability(forest, model_type, x)
    alone = [ensemble_probability(forest, model_type, x[i:i + 1])[0] for i in range(len(x))]
    assert batch.tolist() == alone
