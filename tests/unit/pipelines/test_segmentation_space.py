"""The clustering space: capped log counts and funnel flags; older versions keep log1p of all
seven features; a five-coordinate pyfunc serves it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.models.pyfunc_common import answers_frame
from pipelines.models.user_segmentation.space import LEGACY, SPACE, space_sql, to_space

pytestmark = pytest.mark.unit

CAPS = np.log1p([20.0, 3.0, 2.0])


def _features(events: int, views: int, carts: int, buys: int) -> np.ndarray:
    return np.array([[events, views, carts, buys, views / events, carts / events,
                      buys / max(views, 1)]], dtype=np.float64)


def test_coordinates_are_capped_logs_and_flags() -> None:
    got = to_space(np.vstack([_features(5, 4, 1, 0), _features(900, 700, 150, 50)]), CAPS)
    assert got.shape == (2, len(SPACE))
    assert got[0].tolist() == pytest.approx([np.log1p(5), 1.0, 0.0, np.log1p(1), 0.0])
    assert got[1].tolist() == pytest.approx([*CAPS[:1], 1.0, 1.0, *CAPS[1:]]), "tail capped"


def test_a_visitor_beyond_every_cap_lands_on_the_cap_point() -> None:
    heavy = to_space(np.vstack([_features(300, 280, 10, 10), _features(5000, 4000, 900, 100)]),
                     CAPS)
    assert (heavy[0] == heavy[1]).all()


def test_versions_without_caps_keep_log1p_of_seven_features() -> None:
    features = _features(5, 4, 1, 0)
    assert to_space(features, None).tolist() == np.log1p(features).tolist()
    assert len(LEGACY) == features.shape[1]


def test_sql_names_every_coordinate_with_its_cap() -> None:
    sql = space_sql(CAPS.tolist())
    assert sql.startswith("SELECT *, ") and sql.endswith(" FROM __THIS__")
    for name in SPACE:
        assert f" AS {name}" in sql
    for cap in CAPS:
        assert f"{float(cap)!r}D" in sql


def test_five_coordinate_pyfunc_serves_the_nearest_centroid(tmp_path: Path) -> None:
    import mlflow.pyfunc

    from pipelines.models.user_segmentation.pyfunc import save_segmentation_pyfunc
    from shopstream.contracts import SEGMENT_COUNTS, SEGMENT_FEATURES

    browsing = to_space(_features(4, 4, 0, 0), CAPS)[0]
    buying = to_space(_features(12, 9, 2, 1), CAPS)[0]
    path = save_segmentation_pyfunc(tmp_path / "m", np.zeros(5), np.ones(5),
                                    np.vstack([browsing, buying]), ["browsers", "buyers"],
                                    snapshot={42: [3000, 2500, 400, 100]}, caps=CAPS)
    rows = np.vstack([_features(5, 5, 0, 0), _features(9, 7, 1, 1), -np.ones((1, 7))])
    frame = pd.DataFrame(rows, columns=list(SEGMENT_FEATURES)).assign(visitorid=[-1, -1, 42])
    frame = frame.astype({name: "int64" for name in SEGMENT_COUNTS})
    out = answers_frame(mlflow.pyfunc.load_model(str(path)).predict(frame))
    assert out["segment"].tolist() == ["browsers", "buyers", "buyers"]
    with pytest.raises(Exception, match=r"centroids must be \(k, 5\)"):
        save_segmentation_pyfunc(tmp_path / "bad", np.zeros(5), np.ones(5), np.zeros((2, 7)),
                                 ["a", "b"], caps=CAPS)


def test_a_champion_of_an_older_class_is_rescored_in_its_own_space() -> None:
    """Promotion loads a champion with its own code: its arrays object may predate `caps`."""
    from types import SimpleNamespace

    from pipelines.models.user_segmentation.pyfunc import nearest_centroid, standardise

    low, high = np.log1p([2, 2, 0, 0, 1.0, 0, 0]), np.log1p([50, 30, 10, 5, 0.6, 0.2, 0.17])
    old = SimpleNamespace(mean=np.zeros(7), std=np.ones(7), centroids=np.vstack([low, high]))
    features = np.vstack([_features(3, 3, 0, 0), _features(60, 40, 12, 6)])
    assert standardise(old, features).tolist() == np.log1p(features).tolist()  # type: ignore[arg-type]
    assert nearest_centroid(old, features).tolist() == [0, 1]  # type: ignore[arg-type]
