"""The transaction predictor pyfunc: numpy tree evaluation, fill values, threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.models.pyfunc_common import answers_frame
from pipelines.models.transaction_predictor.pyfunc import (
    TreeEnsemble,
    ensemble_probability,
    save_transaction_pyfunc,
    stump_ensemble,
)
from shopstream.errors import ModelInputError

pytestmark = pytest.mark.unit


def _two_trees() -> TreeEnsemble:
    # tree 0: x0 <= 2 → 0.2 else 0.6 ; tree 1: x1 <= 0.5 → 0.0 else (x0 <= 5 → 0.5 else 1.0)
    return TreeEnsemble(
        node_offsets=np.array([0, 3, 8]),
        feature=np.array([0, -1, -1, 1, -1, 0, -1, -1], dtype=np.int32),
        threshold=np.array([2.0, 0, 0, 0.5, 0, 5.0, 0, 0]),
        left=np.array([1, -1, -1, 1, -1, 3, -1, -1], dtype=np.int32),
        right=np.array([2, -1, -1, 2, -1, 4, -1, -1], dtype=np.int32),
        leaf_value=np.array([0, 0.2, 0.6, 0, 0.0, 0, 0.5, 1.0]),
        tree_weights=np.array([1.0, 1.0]),
    )


def test_rf_probability_averages_leaf_probabilities_and_splits_left_on_equal() -> None:
    x = np.array([[2.0, 0.0], [3.0, 1.0], [9.0, 1.0]])
    proba = ensemble_probability(_two_trees(), "rf", x)
    assert proba == pytest.approx([0.1, 0.55, 0.8])


def test_gbt_probability_is_spark_logloss_of_weighted_margin() -> None:
    trees = _two_trees()
    trees.tree_weights = np.array([1.0, 0.5])
    proba = ensemble_probability(trees, "gbt", np.array([[3.0, 1.0]]))
    margin = 0.6 + 0.5 * 0.5
    assert proba[0] == pytest.approx(1 / (1 + np.exp(-2 * margin)))


def test_saved_model_fills_optional_features_and_thresholds(tmp_path: Path) -> None:
    import mlflow.pyfunc

    names = ["num_views", "num_addtocart", "distinct_items_interacted", "prev_sessions"]
    trees = stump_ensemble(3, 1.5, 0.2, 0.7)
    path = save_transaction_pyfunc(tmp_path / "m", trees, threshold=0.5, feature_names=names,
                                   fill_values=[1, 0, 1, 4.0])
    model = mlflow.pyfunc.load_model(str(path))
    base = {"num_views": [3], "num_addtocart": [0], "distinct_items_interacted": [2]}
    filled = answers_frame(model.predict(pd.DataFrame(base)))
    assert filled["probability"].tolist() == pytest.approx([0.7])  # median 4 > 1.5
    assert filled["will_transact"].tolist() == [True]
    given = answers_frame(model.predict(pd.DataFrame({**base, "prev_sessions": [1.0]})))
    assert given["probability"].tolist() == pytest.approx([0.2])
    assert given["will_transact"].tolist() == [False]


def test_missing_required_column_says_which(tmp_path: Path) -> None:
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(str(save_transaction_pyfunc(tmp_path / "m")))
    with pytest.raises(Exception, match="num_addtocart"):
        model.predict(pd.DataFrame({"num_views": [1], "distinct_items_interacted": [1]}))
    assert issubclass(ModelInputError, Exception)
