"""Segment names follow from what the members did; funnel rules cover every visitor."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.models.user_segmentation.segments import (
    BROWSERS,
    BUYERS,
    CART_ABANDONERS,
    FUNNEL,
    ONE_VIEW,
    REPEAT_BUYERS,
    contradictions,
    funnel_codes,
    member_stats,
    segment_names,
)

pytestmark = pytest.mark.unit


def _counts(rows: list[tuple[int, int, int]]) -> np.ndarray:
    """(events, carts, buys) → the four stored counts."""
    return np.array([[e, e - c - b, c, b] for e, c, b in rows], dtype=np.int64)


def test_funnel_rules() -> None:
    counts = _counts([(1, 0, 0), (5, 0, 0), (4, 1, 0), (6, 1, 1), (9, 2, 3), (1, 0, 1)])
    assert [FUNNEL[c] for c in funnel_codes(counts)] == [
        ONE_VIEW, BROWSERS, CART_ABANDONERS, BUYERS, REPEAT_BUYERS, BUYERS]


def test_names_come_from_the_majority_and_repeat_names_are_qualified() -> None:
    buyers = member_stats(_counts([(6, 1, 1)] * 6 + [(5, 0, 0)] * 4))
    heavy = member_stats(_counts([(40, 0, 0)] * 10))
    light = member_stats(_counts([(3, 0, 0)] * 10))
    carts = member_stats(_counts([(5, 2, 0)] * 7 + [(3, 0, 0)] * 3))
    names = segment_names([buyers, heavy, light, carts])
    assert names == [BUYERS, f"{BROWSERS} (heavy)", f"{BROWSERS} (light)", CART_ABANDONERS]


cluster_rows = st.lists(st.tuples(st.integers(1, 60), st.integers(0, 5), st.integers(0, 4))
                        .filter(lambda r: r[1] + r[2] <= r[0]), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(clusters=st.lists(cluster_rows, min_size=1, max_size=6))
def test_no_name_contradicts_its_members(clusters: list[list[tuple[int, int, int]]]) -> None:
    stats = [member_stats(_counts(rows)) for rows in clusters]
    for name, member in zip(segment_names(stats), stats, strict=True):
        assert contradictions(name, member) == []


def test_contradictions_are_found() -> None:
    browsers = member_stats(_counts([(5, 0, 0)] * 10))
    assert contradictions(BUYERS, browsers) == ["'buyers' needs: most members bought"]
    assert contradictions(f"{ONE_VIEW}", browsers)


def test_k_is_ranked_by_silhouette_among_admissible_sizes() -> None:
    from pipelines.models.user_segmentation.training import rank_k

    silhouettes = {3: 0.5, 4: 0.7, 5: 0.6}
    assert rank_k(silhouettes, {3: 0.2, 4: 0.005, 5: 0.02}, 0.01) == [5, 3]
    assert rank_k(silhouettes, {3: 0.2, 4: 0.1, 5: 0.02}, 0.01) == [4, 5, 3]
    assert rank_k({3: 0.5, 4: 0.5}, {3: 0.2, 4: 0.2}, 0.01) == [3, 4], "ties: smaller k"
    assert rank_k(silhouettes, {3: 0.004, 4: 0.001, 5: 0.002}, 0.01) == [3, 5, 4]


def test_repeated_names_are_told_apart_by_carting_then_by_size() -> None:
    direct = member_stats(_counts([(5, 0, 1)] * 8 + [(6, 1, 1)] * 2))
    via_cart = member_stats(_counts([(40, 2, 1)] * 10))
    via_cart_light = member_stats(_counts([(4, 1, 1)] * 10))
    names = segment_names([direct, via_cart, via_cart_light])
    assert names == [f"{BUYERS} (without cart)", f"{BUYERS} (with cart, heavy)",
                     f"{BUYERS} (with cart, light)"]
    assert contradictions(f"{BUYERS} (with cart)", direct) == [
        "'buyers (with cart)' needs: most members carted"]
    assert contradictions(f"{BUYERS} (without cart, light)", via_cart) == [
        "'buyers (without cart, light)' needs: most members did not cart"]


def test_the_first_ranked_k_whose_refits_agree_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.models.user_segmentation import training
    from pipelines.models.user_segmentation.params import SegmentationParams

    aris = {3: [0.39, 1.0, 1.0, 1.0], 4: [1.0, 0.95, 0.99, 1.0], 5: [0.5, 0.6, 0.7, 0.8]}
    tried: list[int] = []

    def fake_stability(scaled: object, model: object, k: int, params: object) -> list[float]:
        tried.append(k)
        return aris[k]

    monkeypatch.setattr(training, "stability", fake_stability)
    models = {k: object() for k in aris}
    params = SegmentationParams()
    assert training.stable_k(None, models, [3, 4, 5], params) == (4, aris[4])  # type: ignore[arg-type]
    assert tried == [3, 4], "stops at the first stable k"
    tried.clear()
    assert training.stable_k(None, models, [5, 3], params) == (5, aris[5])  # type: ignore[arg-type]
    assert tried == [5, 3], "none stable: the most stable tried (min ARI 0.5 > 0.39)"
