"""The user_segmentation pyfunc: log1p + standardise + nearest centroid, snapshot lookups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.models.pyfunc_common import answers_frame
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
    out = answers_frame(model.predict(frame))
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
    out = answers_frame(mlflow.pyfunc.load_model(str(path)).predict(pd.DataFrame([
        _row(42, [-1, -1, -1, -1], [0.0, 0.0, 0.0]),   # lookup, known
        _row(7, [3, 3, 0, 0], [1.0, 0.0, 0.0]),        # given features: nothing looked up
        _row(43, [-1, -1, -1, -1], [0.0, 0.0, 0.0]),   # lookup, unknown
    ])))
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


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.tuples(st.integers(-1, 300), st.integers(0, 200), st.integers(0, 20),
                                 st.integers(0, 5), st.sampled_from([-1, 42, 7, 99])),
                       min_size=1, max_size=8))
def test_the_pyfunc_on_request_rows_answers_what_frames_resolve_to(
        counts: list[tuple[int, int, int, int, int]]) -> None:
    """The scoring server hands the pyfunc typed rows; evaluation and tests resolve frames.
    Both give the same features, lookups and clusters."""
    from pipelines.models.user_segmentation.pyfunc import (
        SegmentationArrays,
        SegmentationModel,
        resolve_features,
        served_labels,
    )
    from shopstream.contracts import SegmentationRequest

    model = SegmentationModel()
    model.arrays = SegmentationArrays(
        mean=np.zeros(7), std=np.ones(7),
        centroids=np.vstack([np.log1p([2, 2, 0, 0, 1.0, 0, 0]),
                             np.log1p([50, 30, 10, 5, 0.6, 0.2, 0.17])]),
        snapshot_ids=np.array([7, 42]), snapshot_counts=np.array([[3, 3, 0, 0], [60, 40, 12, 6]]))
    model.segment_names = ["a", "b"]
    rows = [_row(vid, [-1] * 4 if events < 0 else [events, views, carts, buys],
                 ratios_from_counts(np.array([[max(events, 0), views, carts, buys]]))[0].tolist())
            for events, views, carts, buys, vid in counts]
    answers = model.predict(None, [SegmentationRequest(**r) for r in rows])
    features, known, _, _ = resolve_features(model.arrays, pd.DataFrame(rows))
    valid = ~np.isnan(features).any(axis=1)
    want = np.full(len(rows), -1)
    want[valid] = served_labels(model.arrays, features[valid])
    assert [a.cluster_id for a in answers] == want.tolist()
    assert [a.known for a in answers] == known.tolist()
    assert [a.total_events for a in answers] == np.where(
        np.isnan(features[:, 0]), -1, features[:, 0]).astype(int).tolist()
    np.testing.assert_allclose([a.transaction_ratio for a in answers], features[:, 6])
