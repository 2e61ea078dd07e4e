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


def test_numbers_as_text_or_floats_resolve_like_numbers() -> None:
    from pipelines.models.user_segmentation.pyfunc import SegmentationArrays, resolve_features

    arrays = SegmentationArrays(mean=np.zeros(7), std=np.ones(7), centroids=np.zeros((1, 7)),
                                snapshot_ids=np.array([42]),
                                snapshot_counts=np.array([[60, 40, 12, 6]]))
    numbers = pd.DataFrame([_row(-1, [3, 3, 0, 0], [1.0, 0.0, 0.0]),
                            _row(42, [-1, -1, -1, -1], [0.0, 0.0, 0.0])])
    as_text = numbers.astype(str)
    float_ids = numbers.assign(visitorid=numbers["visitorid"].astype(float))
    garbage = as_text.assign(total_views=["x", "-1"], visitorid=["y", "42"])
    want = resolve_features(arrays, numbers)
    assert want[1].tolist() == [False, True] and want[0][1, 0] == 60
    for frame in (as_text, float_ids):
        got = resolve_features(arrays, frame)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    features, known, _, _ = resolve_features(arrays, garbage)
    assert np.isnan(features[0, 1]) and known.tolist() == [False, True]
