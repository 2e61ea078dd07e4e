"""The user_segmentation pyfunc: log1p + standardise + nearest centroid, snapshot lookups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.models.user_segmentation.pyfunc import ratios_from_counts, save_segmentation_pyfunc

pytestmark = pytest.mark.unit


def test_ratios_follow_the_original_definitions() -> None:
    ratios = ratios_from_counts(np.array([[10, 8, 2, 1], [0, 0, 0, 0]]))
    assert ratios[0].tolist() == pytest.approx([0.8, 0.2, 0.125])
    assert ratios[1].tolist() == [0.0, 0.0, 0.0]


def _row(vid: int, counts: list[int], ratios: list[float]) -> dict[str, float]:
    names = ["total_events", "total_views", "total_addtocart", "total_transactions",
             "view_ratio", "addtocart_ratio", "transaction_ratio"]
    return {"visitorid": vid, **dict(zip(names, counts + ratios, strict=True))}


def test_given_features_and_snapshot_lookup(tmp_path: Path) -> None:
    import mlflow.pyfunc

    mean, std = np.zeros(7), np.ones(7)
    low = np.log1p([2, 2, 0, 0, 1.0, 0, 0])
    high = np.log1p([50, 30, 10, 5, 0.6, 0.2, 0.17])
    path = save_segmentation_pyfunc(tmp_path / "m", mean, std, np.vstack([low, high]),
                                    ["window shoppers", "loyal buyers"],
                                    snapshot={42: [60, 40, 12, 6]})
    model = mlflow.pyfunc.load_model(str(path))
    frame = pd.DataFrame([
        _row(-1, [3, 3, 0, 0], [1.0, 0.0, 0.0]),
        _row(42, [-1, -1, -1, -1], [0.0, 0.0, 0.0]),
        _row(43, [-1, -1, -1, -1], [0.0, 0.0, 0.0]),
    ])
    out = model.predict(frame)
    assert out["cluster_id"].tolist() == [0, 1, -1]
    assert out["segment"].tolist() == ["window shoppers", "loyal buyers", "unknown"]
    assert out["known"].tolist() == [False, True, False]
    assert out.loc[1, "total_events"] == 60
    assert out.loc[1, "transaction_ratio"] == pytest.approx(6 / 40)


def test_lookup_returns_stored_distinct_items(tmp_path: Path) -> None:
    import mlflow.pyfunc

    mean, std = np.zeros(7), np.ones(7)
    centroids = np.vstack([np.log1p([2, 2, 0, 0, 1.0, 0, 0]),
                           np.log1p([50, 30, 10, 5, 0.6, 0.2, 0.17])])
    path = save_segmentation_pyfunc(tmp_path / "m", mean, std, centroids, ["a", "b"],
                                    snapshot={42: [60, 40, 12, 6, 25], 7: [3, 3, 0, 0, 2]})
    out = mlflow.pyfunc.load_model(str(path)).predict(pd.DataFrame([
        _row(42, [-1, -1, -1, -1], [0.0, 0.0, 0.0]),   # lookup, known
        _row(7, [3, 3, 0, 0], [1.0, 0.0, 0.0]),        # given features: nothing looked up
        _row(43, [-1, -1, -1, -1], [0.0, 0.0, 0.0]),   # lookup, unknown
    ]))
    assert out["distinct_items"].tolist() == [25, -1, -1]
