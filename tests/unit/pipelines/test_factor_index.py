"""FactorIndex: the norm-pruned top-k equals a full scan, ties and exclusions included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.models.recommender.factor_index import FIRST_BLOCK, FactorIndex, top_k


def full_scan(factors: np.ndarray, user: np.ndarray, k: int,
              exclude: np.ndarray) -> tuple[list[int], np.ndarray]:
    scores = (factors @ user).astype(np.float32)
    scores[exclude] = -np.inf
    best = top_k(scores, k)
    best = best[np.isfinite(scores[best])]
    return best.tolist(), scores[best]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 30), n_excluded=st.integers(0, 50))
def test_pruned_top_k_equals_full_scan(seed: int, k: int, n_excluded: int) -> None:
    rng = np.random.default_rng(seed)
    n_items = 3 * FIRST_BLOCK + 17  # forces the scan to grow past its first block
    # Small integers: every dot product is exact in float32 whatever the summation order, so
    # ties are real (and frequent) and must break towards the lower row. Heavy-tailed scales
    # mimic ALS item factors: a few popular items, a long quiet tail.
    scale = np.minimum(rng.zipf(2.0, (n_items, 1)), 20)
    factors = (rng.integers(-3, 4, (n_items, 8)) * scale).astype(np.float32)
    user = rng.integers(-3, 4, 8).astype(np.float32)
    exclude = rng.choice(n_items, n_excluded, replace=False).astype(np.int64)
    rows, scores = FactorIndex(factors).top_k(user, k, exclude)
    expected_rows, expected_scores = full_scan(factors, user, k, exclude)
    assert rows.tolist() == expected_rows
    assert scores.tolist() == expected_scores.tolist()
    assert not set(rows.tolist()) & set(exclude.tolist())


def test_every_item_excluded_gives_nothing() -> None:
    factors = np.eye(4, dtype=np.float32)
    rows, scores = FactorIndex(factors).top_k(np.ones(4, np.float32), 3, np.arange(4))
    assert rows.size == 0 and scores.size == 0


def test_k_larger_than_catalogue_returns_all_in_order() -> None:
    factors = np.array([[1.0, 0.0], [3.0, 0.0], [2.0, 0.0]], dtype=np.float32)
    rows, _ = FactorIndex(factors).top_k(np.array([1.0, 0.0], np.float32), 10, np.empty(0, int))
    assert rows.tolist() == [1, 2, 0]
