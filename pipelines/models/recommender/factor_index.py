"""Exact ALS top-k without scoring the whole catalogue: item factors ordered by their norm.

score(u, i) = u · v_i ≤ |u| |v_i|. With the items sorted by |v_i| (largest first), once the
k-th best score among the first m items is above |u| · |v_m|, no later item can reach the top
k, nor tie with it. On the full-size Retail Rocket-like data 99% of visitors need fewer than
4,000 of 196,000 items, so a request costs a few small products instead of a 196k-wide one.
Results equal a full scan (ties broken by the lower item row, like :func:`top_k`).
"""

from __future__ import annotations

import numpy as np

TOPK_SAMPLE = 2048  # scores sampled to find a cut that every top-k score clears
FIRST_BLOCK = 4096  # items scanned first; the scan grows 4x until the bound is met


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first (stable: ties keep the lower index).

    Exact, and cheap on a large array: the k-th largest of an evenly strided sample is a
    lower bound of the k-th largest overall, so only the scores at or above it are sorted.
    """
    if k <= 0 or scores.size == 0:
        return np.empty(0, dtype=np.int64)
    k = min(k, scores.size)
    sample = (scores[:: scores.size // TOPK_SAMPLE]
              if scores.size >= 8 * TOPK_SAMPLE and k <= TOPK_SAMPLE // 8 else scores)
    cut = np.partition(sample, sample.size - k)[sample.size - k]
    part = np.flatnonzero(scores >= cut)  # every score tied with the k-th is a candidate
    order = np.lexsort((part, -scores[part]))
    return part[order][:k]


class FactorIndex:
    """Item factors in descending-norm order, for exact pruned top-k per visitor vector."""

    def __init__(self, item_factors: np.ndarray) -> None:
        factors = np.asarray(item_factors, dtype=np.float32)
        norms = np.linalg.norm(factors, axis=1) if len(factors) else np.empty(0, np.float32)
        self.order = np.argsort(-norms, kind="stable")  # position → item row
        self.position = np.empty_like(self.order)  # item row → position
        self.position[self.order] = np.arange(len(self.order))
        self.norms = norms[self.order].astype(np.float64)
        self.factors_t = np.ascontiguousarray(factors[self.order].T)  # (rank, n_items)

    def top_k(self, user: np.ndarray, k: int, exclude_rows: np.ndarray) -> tuple[
        np.ndarray, np.ndarray
    ]:
        """(item rows, float32 scores) of the k best items for `user`, excluded rows removed."""
        n = len(self.order)
        if k <= 0 or n == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        vec = np.asarray(user, dtype=np.float32)
        bound = float(np.linalg.norm(vec))
        banned = self.position[exclude_rows] if exclude_rows.size else exclude_rows
        m = min(n, FIRST_BLOCK)
        while True:
            scores = vec @ self.factors_t[:, :m]
            if banned.size:
                scores[banned[banned < m]] = -np.inf
            kk = min(k, m)
            kth = np.partition(scores, m - kk)[m - kk]
            if m == n or (np.isfinite(kth) and kth > bound * self.norms[m]):
                break
            m = min(n, m * 4)
        cand = np.flatnonzero(scores >= kth)
        rows = self.order[cand]
        best = np.lexsort((rows, -scores[cand]))[:k]
        cand, rows = cand[best], rows[best]
        keep = np.isfinite(scores[cand])
        return rows[keep], scores[cand][keep]
