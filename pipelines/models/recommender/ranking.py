"""Top-K ranking evaluation in numpy: metrics and batch scoring from pyfunc arrays.

Protocol (recommender): visitors seen before the cutoff, scored on the items they interact
with after it. Items a visitor already interacted with before the cutoff are removed from
both the candidates and the targets, for ALS and the popularity baseline alike, so "recommend
what they already looked at" earns nothing. Visitors left with no target are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from pipelines.models.recommender.pyfunc import RecommenderArrays

PAD = -1


@dataclass
class RankingHoldout:
    """Eval visitors with their targets and already-seen items, both as CSR over visitor_ids."""

    visitor_ids: np.ndarray
    target_indptr: np.ndarray
    target_items: np.ndarray
    seen_indptr: np.ndarray
    seen_items: np.ndarray

    def targets(self, row: int) -> np.ndarray:
        return self.target_items[self.target_indptr[row] : self.target_indptr[row + 1]]

    def seen(self, row: int) -> np.ndarray:
        return self.seen_items[self.seen_indptr[row] : self.seen_indptr[row + 1]]

    def __len__(self) -> int:
        return len(self.visitor_ids)

    def save(self, path: Path) -> Path:
        np.savez_compressed(path, **{f.name: getattr(self, f.name) for f in fields(self)})
        return path

    @classmethod
    def load(cls, path: str | Path) -> RankingHoldout:
        with np.load(path, allow_pickle=False) as data:
            return cls(**{f.name: data[f.name] for f in fields(cls)})


def csr_from_lists(lists: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.concatenate([[0], np.cumsum([len(v) for v in lists])]).astype(np.int64)
    flat = (np.concatenate([np.asarray(v, dtype=np.int64) for v in lists]) if lists
            else np.empty(0, np.int64))
    return indptr, flat.astype(np.int64)


def hit_matrix(ranked: np.ndarray, holdout: RankingHoldout) -> np.ndarray:
    """(n_users, K) bool: ranked[u, r] is one of user u's targets."""
    hits = np.zeros(ranked.shape, dtype=bool)
    for row in range(ranked.shape[0]):
        hits[row] = np.isin(ranked[row], holdout.targets(row)) & (ranked[row] != PAD)
    return hits


def hit_rate_at(hits: np.ndarray, k: int) -> float:
    return float(hits[:, :k].any(axis=1).mean()) if len(hits) else 0.0


def ndcg_at(hits: np.ndarray, n_targets: np.ndarray, k: int) -> float:
    if not len(hits):
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits[:, :k] * discounts).sum(axis=1)
    ideal = np.array([discounts[: min(int(n), k)].sum() for n in n_targets])
    return float(np.mean(np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1), 0.0)))


def recall_at(hits: np.ndarray, n_targets: np.ndarray, k: int) -> float:
    if not len(hits):
        return 0.0
    return float(np.mean(hits[:, :k].sum(axis=1) / np.maximum(n_targets, 1)))


def mrr_at(hits: np.ndarray, k: int) -> float:
    if not len(hits):
        return 0.0
    first = np.where(hits[:, :k].any(axis=1), hits[:, :k].argmax(axis=1) + 1, 0)
    return float(np.mean(np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0)))


def ranking_metrics(ranked: np.ndarray, holdout: RankingHoldout, catalog_size: int) -> dict[
    str, float
]:
    """HR@10, NDCG@10, Recall@20, MRR@20 and catalog coverage of the top-10 lists."""
    hits = hit_matrix(ranked, holdout)
    n_targets = np.diff(holdout.target_indptr)
    top10 = ranked[:, :10]
    covered = np.unique(top10[top10 != PAD]).size
    return {
        "hr_at_10": hit_rate_at(hits, 10),
        "ndcg_at_10": ndcg_at(hits, n_targets, 10),
        "recall_at_20": recall_at(hits, n_targets, 20),
        "mrr_at_20": mrr_at(hits, 20),
        "coverage": covered / catalog_size if catalog_size else 0.0,
    }


def hr_curve(ranked: np.ndarray, holdout: RankingHoldout, max_k: int = 20) -> list[float]:
    hits = hit_matrix(ranked, holdout)
    return [hit_rate_at(hits, k) for k in range(1, max_k + 1)]


def als_ranked(arrays: RecommenderArrays, holdout: RankingHoldout, k: int = 20) -> np.ndarray:
    """(n_eval, k) ALS top-k item ids per eval visitor, seen items excluded, PAD when the
    visitor has no factors. The same scorer the pyfunc serves with."""
    from pipelines.models.recommender.pyfunc import als_top_k_many

    out = np.full((len(holdout), k), PAD, dtype=np.int64)
    rows = np.array([arrays.user_index(int(v)) for v in holdout.visitor_ids], dtype=np.int64)
    known = np.flatnonzero(rows >= 0)
    ranked = als_top_k_many(arrays, rows[known], [k] * len(known),
                            [holdout.seen(int(r)) for r in known])
    for eval_row, (ids, _) in zip(known, ranked, strict=True):
        out[eval_row, : ids.size] = ids
    return out


def popular_ranked(popular_items: np.ndarray, holdout: RankingHoldout, k: int = 20) -> np.ndarray:
    """(n_eval, k) the most popular items each visitor has not seen yet."""
    out = np.full((len(holdout), k), PAD, dtype=np.int64)
    head = popular_items[: k + 200]
    for row in range(len(holdout)):
        fresh = head[~np.isin(head, holdout.seen(row))][:k]
        out[row, : len(fresh)] = fresh
    return out


def served_ranked(arrays: RecommenderArrays, holdout: RankingHoldout, k: int = 20) -> np.ndarray:
    """(n_eval, k) exactly what the pyfunc's visitor mode answers each eval visitor (its own
    code path: the version's strategy, exclusions and fallbacks), PAD-padded."""
    from pipelines.models.recommender.pyfunc import recommend_row

    out = np.full((len(holdout), k), PAD, dtype=np.int64)
    for row, visitor in enumerate(holdout.visitor_ids.tolist()):
        ids, _, _ = recommend_row(arrays, "visitor", int(visitor), [], k, True)
        out[row, : len(ids)] = ids[:k]
    return out


def with_strategy(arrays: RecommenderArrays, strategy: str, weight: float = 0.5
                  ) -> RecommenderArrays:
    """The same arrays answering visitor mode with another strategy (factor index shared)."""
    from dataclasses import replace

    from pipelines.models.recommender.pyfunc import VISITOR_STRATEGIES

    variant = replace(arrays, visitor_strategy=np.array([VISITOR_STRATEGIES.index(strategy)]),
                      blend_weight=np.array([weight]))
    variant.__dict__["factor_index"] = arrays.factor_index  # a cached_property: reuse it
    return variant
