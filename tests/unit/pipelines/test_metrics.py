"""Ranking and classification metrics on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.models.recommender.packaging import arrays_from_plain
from pipelines.models.recommender.ranking import (
    RankingHoldout,
    csr_from_lists,
    popular_ranked,
    ranking_metrics,
    served_ranked,
)
from pipelines.models.transaction_predictor.classification import binary_metrics, max_f1_threshold

pytestmark = pytest.mark.unit


def _holdout(targets: list[list[int]], seen: list[list[int]]) -> RankingHoldout:
    t_ptr, t_items = csr_from_lists(targets)
    s_ptr, s_items = csr_from_lists(seen)
    return RankingHoldout(np.arange(len(targets), dtype=np.int64), t_ptr, t_items, s_ptr, s_items)


def test_ranking_metrics_by_hand() -> None:
    holdout = _holdout([[5], [7, 8]], [[], []])
    ranked = np.full((2, 20), -1, dtype=np.int64)
    ranked[0, :3] = [1, 5, 2]  # hit at rank 2
    ranked[1, :2] = [9, 3]  # miss
    metrics = ranking_metrics(ranked, holdout, catalog_size=10)
    assert metrics["hr_at_10"] == pytest.approx(0.5)
    assert metrics["mrr_at_20"] == pytest.approx(0.25)
    assert metrics["ndcg_at_10"] == pytest.approx((1 / np.log2(3)) / 2)
    assert metrics["recall_at_20"] == pytest.approx(0.5)
    assert metrics["coverage"] == pytest.approx(5 / 10)


def test_popular_baseline_skips_seen_items() -> None:
    holdout = _holdout([[3]], [[1, 2]])
    ranked = popular_ranked(np.array([1, 2, 3, 4]), holdout, k=2)
    assert ranked.tolist() == [[3, 4]]


def test_served_ranking_uses_neighbours_for_visitors_without_factors() -> None:
    arrays = arrays_from_plain([1], [[1.0]], [10, 20], [[1.0], [0.5]], [20, 10, 30],
                               {10: [(30, 0.9)]}, {1: [], 2: [10]})
    holdout = RankingHoldout(np.array([1, 2]), *csr_from_lists([[20], [30]]),
                             *csr_from_lists([[], [10]]))
    ranked = served_ranked(arrays, holdout, k=2)
    assert ranked[0].tolist() == [10, 20]  # ALS
    assert ranked[1].tolist() == [30, 20]  # neighbour of 10, then popular


def test_max_f1_threshold_and_metrics() -> None:
    labels = np.array([0, 0, 1, 1, 0, 1])
    scores = np.array([0.1, 0.2, 0.8, 0.7, 0.75, 0.9])
    threshold = max_f1_threshold(labels, scores)
    assert threshold == pytest.approx(0.7)
    metrics = binary_metrics(labels, scores, threshold)
    assert metrics["precision"] == pytest.approx(0.75)
    assert metrics["recall"] == pytest.approx(1.0)
    assert metrics["base_rate"] == pytest.approx(0.5)
    assert metrics["roc_auc"] == pytest.approx(8 / 9)


def test_a_recall_floor_lowers_the_threshold_only_when_max_f1_misses_it() -> None:
    labels = np.array([1, 1, 0, 0, 0, 1, 0, 1])
    scores = np.array([0.95, 0.9, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    plain = max_f1_threshold(labels, scores)
    assert plain == pytest.approx(0.9)  # F1 0.667 at recall 0.5
    assert max_f1_threshold(labels, scores, min_recall=0.5) == pytest.approx(plain)
    floored = max_f1_threshold(labels, scores, min_recall=0.7)
    kept = {t: binary_metrics(labels, scores, t) for t in scores
            if binary_metrics(labels, scores, t)["recall"] >= 0.7}
    assert floored in kept and kept[floored]["f1"] == max(m["f1"] for m in kept.values())
    assert floored < plain
