"""JVM-free pyfunc of the recommender: ALS factors, item neighbours, popular items and a
session-kNN index of recent training sessions.

Artifact layout (one artifact, key ``recommender``, file ``recommender.npz``)::

    user_ids          int64   (n_users,)          sorted ascending
    user_factors      float32 (n_users, rank)     ALS user factors, rows aligned to user_ids
    item_ids          int64   (n_items,)          ALS items
    item_factors      float32 (n_items, rank)
    popular_items     int64   (n_popular,)        most popular first
    popular_scores    float64 (n_popular,)
    neighbour_keys    int64   (n_keys,)           sorted; items that have neighbours
    neighbour_items   int64   (n_keys, m)         neighbour item ids, best first, -1 padded
    neighbour_scores  float32 (n_keys, m)         co-occurrence similarity, 0 padded
    seen_ids          int64   (n_seen,)           sorted; visitors with a stored history
    seen_indptr       int64   (n_seen + 1,)       CSR over seen_ids: the visitor's
    seen_items        int64   (nnz,)              already-interacted items (excluded on request)

Input/output columns are those of docs/contracts.md (mode, visitorid, items, k,
exclude_purchased → items, scores, strategy):

- ``visitor``: a visitor with ALS factors gets the ALS top-k (dot product of factors),
  excluding their already-interacted items when ``exclude_purchased``; a visitor with a
  stored history but no factors (ALS trains on visitors with ≥ 2 items) gets the neighbours
  of their items (strategy ``similar``); an unknown one gets popular items (``popular``).
- ``session``: the next item for a session in progress (items oldest first), by the strategy
  the training run chose on validation (``session_strategy``): ``item2item`` (items
  co-occurring with the session's items, later items weigh more: 0.5^(distance from the
  last item)), ``sknn`` or ``vsknn`` (the session kNNs of :mod:`.session_knn`, over the
  ``knn_*`` index of recent training sessions). The session's own items may be recommended
  again (re-views are the commonest next view; session-rec's protocol counts them).
- ``similar``: neighbours of the given items, equally weighted, the given items excluded.
  Both fill up with popular items when the neighbours run short and answer ``popular``
  when nothing scored.

Session index (``knn_*``, empty in versions trained before it)::

    session_strategy      int64   (1,)                0 item2item, 1 sknn, 2 vsknn
    session_knn_configs   float64 (2, 5)              sknn and vsknn: k, sample_size, codes of
                                                      similarity, weighting, weighting_score
    knn_session_indptr    int64   (n_sessions + 1,)   CSR: recent sessions (most recent first)
    knn_session_items     int64   (nnz,)              → their distinct items
    knn_item_ids          int64   (n_items,)          sorted
    knn_item_indptr       int64   (n_items + 1,)      CSR: item → the sessions holding it,
    knn_item_sessions     int64   (n_postings,)       most recent first

Build a small model without Spark with ``packaging.save_recommender_pyfunc``. This package travels
with every registered version (see :mod:`pipelines.models.pyfunc_common`): module-level
imports stay within the package, numpy, pandas, mlflow and shopstream's runtime.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from mlflow.pyfunc import PythonModel  # the base class must exist when this module loads

from shopstream.contracts import RecommenderAnswer, RecommenderRequest
from shopstream.errors import ModelInputError
from shopstream.model_runtime import parse_id_list, settle_gc

from .factor_index import FactorIndex
from .session_knn import SKNN, VSKNN, KnnConfig, SessionIndex, knn_top_k

PACKAGE = "recommender"  # this package, as it travels with a version
ARTIFACT_KEY = "recommender"
ARTIFACT_FILE = "recommender.npz"
MODES = ("visitor", "session", "similar")
SESSION_DECAY = 0.5
VISITOR_STRATEGIES = ("als", "item_knn", "blend")
SESSION_STRATEGIES = ("item2item", "sknn", "vsknn")
BLEND_CANDIDATES = 3  # the blend ranks ALS's and the neighbours' top (3·k) together
_EMPTY = np.empty(0, dtype=np.int64)


def _narrow(values: np.ndarray) -> np.ndarray:
    if values.dtype == np.int64 and (values.size == 0 or (
            values.min() >= np.iinfo(np.int32).min and values.max() <= np.iinfo(np.int32).max)):
        return values.astype(np.int32)
    return values


def _widen(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64) if values.dtype == np.int32 else values


@dataclass
class RecommenderArrays:
    """Everything the recommender pyfunc scores with (see the module docstring)."""

    user_ids: np.ndarray
    user_factors: np.ndarray
    item_ids: np.ndarray
    item_factors: np.ndarray
    popular_items: np.ndarray
    popular_scores: np.ndarray
    neighbour_keys: np.ndarray
    neighbour_items: np.ndarray
    neighbour_scores: np.ndarray
    seen_ids: np.ndarray
    seen_indptr: np.ndarray
    seen_items: np.ndarray
    # How visitor mode ranks a visitor with a history, chosen on validation by the training run:
    # [0] als, [1] item_knn (neighbours of the visitor's items), [2] blend; and the blend's
    # ALS weight. Versions trained before this field was added load as ALS.
    visitor_strategy: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    blend_weight: np.ndarray = field(default_factory=lambda: np.full(1, 0.5))
    # Session mode (see the module docstring); older versions load as item2item.
    session_strategy: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    session_knn_configs: np.ndarray = field(
        default_factory=lambda: np.stack([SKNN.as_array(), VSKNN.as_array()]))
    knn_session_indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    knn_session_items: np.ndarray = field(default_factory=lambda: _EMPTY)
    knn_item_ids: np.ndarray = field(default_factory=lambda: _EMPTY)
    knn_item_indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    knn_item_sessions: np.ndarray = field(default_factory=lambda: _EMPTY)

    @property
    def strategy(self) -> str:
        return VISITOR_STRATEGIES[int(self.visitor_strategy[0])]

    @property
    def session_strategy_name(self) -> str:
        return SESSION_STRATEGIES[int(self.session_strategy[0])]

    def knn_config(self, strategy: str) -> KnnConfig:
        """The stored configuration of ``sknn`` or ``vsknn``."""
        row = SESSION_STRATEGIES.index(strategy) - 1
        return KnnConfig.from_array(self.session_knn_configs[row])

    @cached_property
    def session_index(self) -> SessionIndex:
        return SessionIndex(self.knn_session_indptr, self.knn_session_items, self.knn_item_ids,
                            self.knn_item_indptr, self.knn_item_sessions)

    def save(self, path: Path) -> Path:
        """Integer arrays are stored as int32 when their values fit (ALS ids must anyway):
        the full-size artifact shrinks by about a third, and every upload/download with it."""
        stored: dict[str, Any] = {f.name: _narrow(getattr(self, f.name)) for f in fields(self)}
        np.savez(path, **stored)
        return path

    @classmethod
    def load(cls, path: str | Path) -> RecommenderArrays:
        with np.load(path, allow_pickle=False) as data:
            return cls(**{f.name: _widen(data[f.name]) for f in fields(cls)
                          if f.name in data.files})

    def user_index(self, visitorid: int) -> int:
        """Row of the visitor in user_ids, -1 when unknown."""
        pos = int(np.searchsorted(self.user_ids, visitorid))
        if pos < len(self.user_ids) and self.user_ids[pos] == visitorid:
            return pos
        return -1

    @cached_property
    def factor_index(self) -> FactorIndex:
        """The item factors ordered for pruned exact top-k (built on first use)."""
        return FactorIndex(self.item_factors)

    @cached_property
    def _item_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(order, item_ids[order]): item_ids need not be sorted."""
        order = np.argsort(self.item_ids, kind="stable")
        return order, self.item_ids[order]

    def item_rows(self, items: np.ndarray) -> np.ndarray:
        """Rows in item_ids of the given item ids; ids without factors are dropped."""
        order, sorted_ids = self._item_index
        if not order.size:
            return np.empty(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(sorted_ids, items), order.size - 1)
        return order[pos[sorted_ids[pos] == items]]

    def seen(self, visitorid: int) -> np.ndarray:
        """The visitor's already-interacted items (empty when unknown)."""
        pos = int(np.searchsorted(self.seen_ids, visitorid))
        if pos >= len(self.seen_ids) or self.seen_ids[pos] != visitorid:
            return np.empty(0, dtype=np.int64)
        return self.seen_items[self.seen_indptr[pos] : self.seen_indptr[pos + 1]]


def als_top_k(arrays: RecommenderArrays, user_row: int, k: int, exclude: np.ndarray) -> tuple[
    np.ndarray, np.ndarray
]:
    """ALS top-k item ids and scores for one known visitor row, `exclude` ids removed: exact
    float32 dot products, pruned by item-factor norms (FactorIndex)."""
    excluded = arrays.item_rows(exclude) if exclude.size else _EMPTY
    rows, scores = arrays.factor_index.top_k(arrays.user_factors[int(user_row)], int(k), excluded)
    return arrays.item_ids[rows], scores.astype(np.float64)


def als_top_k_many(arrays: RecommenderArrays, user_rows: np.ndarray, ks: Sequence[int],
                   excludes: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`als_top_k` for several known visitor rows, each with its own k and exclusions."""
    return [als_top_k(arrays, int(row), int(k), exclude)
            for row, k, exclude in zip(user_rows, ks, excludes, strict=True)]


def popular_top_k(arrays: RecommenderArrays, k: int, exclude: np.ndarray) -> tuple[
    np.ndarray, np.ndarray
]:
    keep = ~np.isin(arrays.popular_items, exclude) if exclude.size else slice(None)
    return arrays.popular_items[keep][:k], arrays.popular_scores[keep][:k].astype(np.float64)


def neighbour_scores(
    arrays: RecommenderArrays, items: Sequence[int], decay: float
) -> dict[int, float]:
    """Summed similarity of every neighbour of `items`; item i weighs decay^(len-1-i)."""
    totals: dict[int, float] = {}
    n = len(items)
    for pos, item in enumerate(items):
        row = int(np.searchsorted(arrays.neighbour_keys, item))
        if row >= len(arrays.neighbour_keys) or arrays.neighbour_keys[row] != item:
            continue
        weight = decay ** (n - 1 - pos)
        # tolist(): Python numbers once per row instead of a numpy scalar per neighbour
        pairs = zip(arrays.neighbour_items[row].tolist(), arrays.neighbour_scores[row].tolist(),
                    strict=True)
        for nb, score in pairs:
            if nb < 0:
                break
            totals[nb] = totals.get(nb, 0.0) + weight * score
    return totals


def neighbour_top_k(
    arrays: RecommenderArrays, items: Sequence[int], k: int, exclude: np.ndarray, decay: float,
    ban_items: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The k best neighbours of `items` (see :func:`neighbour_scores`), `exclude` ids and,
    with `ban_items`, the given items removed."""
    totals = neighbour_scores(arrays, items, decay)
    banned = set(exclude.tolist()) | (set(items) if ban_items else set())
    ranked = sorted(
        ((i, s) for i, s in totals.items() if i not in banned), key=lambda t: (-t[1], t[0])
    )[:k]
    return (
        np.array([i for i, _ in ranked], dtype=np.int64),
        np.array([s for _, s in ranked], dtype=np.float64),
    )


def recommend_row(
    arrays: RecommenderArrays, mode: str, visitorid: int, items: list[int], k: int,
    exclude_purchased: bool,
) -> tuple[list[int], list[float], str]:
    """One input row → (item ids, scores, strategy)."""
    if mode not in MODES:
        msg = f"mode must be one of {MODES}, got {mode!r}"
        raise ModelInputError(msg)
    user_row = arrays.user_index(visitorid) if visitorid >= 0 else -1
    history = arrays.seen(visitorid) if visitorid >= 0 else np.empty(0, np.int64)
    seen = history if exclude_purchased else np.empty(0, np.int64)
    if mode == "visitor":
        return _visitor_answer(arrays, user_row, history, k, seen, items)
    if mode == "session":
        return session_answer(arrays, items, k, seen)
    return _neighbour_answer(arrays, items, k, seen, 1.0, mode)


def session_answer(arrays: RecommenderArrays, items: list[int], k: int, seen: np.ndarray
                   ) -> tuple[list[int], list[float], str]:
    """Session mode: the version's session strategy over `items` (oldest first), the
    session's items allowed, `seen` excluded; filled up with popular items."""
    strategy = arrays.session_strategy_name
    if strategy == "item2item":
        ids, scores = neighbour_top_k(arrays, items, k, seen, SESSION_DECAY, ban_items=False)
    else:
        ids, scores = knn_top_k(arrays.session_index, items, k, arrays.knn_config(strategy),
                                seen)
    return _filled(arrays, ids, scores, k, seen, "session")


def _visitor_answer(arrays: RecommenderArrays, user_row: int, history: np.ndarray, k: int,
                    seen: np.ndarray, items: list[int]) -> tuple[list[int], list[float], str]:
    """Visitor mode: the run's chosen strategy for visitors with factors and a history; ALS
    for factors alone, neighbours of the history without factors, popular for strangers."""
    strategy = arrays.strategy
    if history.size and (user_row < 0 or strategy == "item_knn"):
        label = "item_knn" if strategy == "item_knn" else "similar"
        return _neighbour_answer(arrays, history.tolist(), k, seen, 1.0, label)
    if user_row >= 0 and history.size and strategy == "blend":
        return _blend_answer(arrays, user_row, history, k, seen)
    if user_row >= 0:
        ids, scores = als_top_k(arrays, user_row, k, seen)
        return ids.tolist(), scores.tolist(), "als"
    ids, scores = popular_top_k(arrays, k, np.asarray(items, dtype=np.int64))
    return ids.tolist(), scores.tolist(), "popular"


def _blend_answer(arrays: RecommenderArrays, user_row: int, history: np.ndarray, k: int,
                  seen: np.ndarray) -> tuple[list[int], list[float], str]:
    """w·ALS + (1-w)·neighbours, each scaled to its own best score, over both top lists."""
    weight = float(arrays.blend_weight[0])
    als_ids, als_scores = als_top_k(arrays, user_row, BLEND_CANDIDATES * k, seen)
    nb_ids, nb_scores = neighbour_top_k(arrays, history.tolist(), BLEND_CANDIDATES * k, seen,
                                        1.0)
    combined: dict[int, float] = {}
    for ids, scores, w in ((als_ids, als_scores, weight), (nb_ids, nb_scores, 1.0 - weight)):
        top = float(scores.max()) if scores.size and scores.max() > 0 else 1.0
        for item, score in zip(ids.tolist(), scores.tolist(), strict=True):
            combined[item] = combined.get(item, 0.0) + w * max(score, 0.0) / top
    ranked = sorted(combined.items(), key=lambda t: (-t[1], t[0]))[:k]
    chosen = [i for i, _ in ranked]
    scores_out = [s for _, s in ranked]
    if len(chosen) < k:
        taken = np.concatenate([seen, np.asarray(chosen, dtype=np.int64)])
        fill, _ = popular_top_k(arrays, k - len(chosen), taken)
        chosen += fill.tolist()
        scores_out += [0.0] * fill.size
    return chosen, scores_out, "blend"


def _neighbour_answer(arrays: RecommenderArrays, items: list[int], k: int, seen: np.ndarray,
                      decay: float, strategy: str) -> tuple[list[int], list[float], str]:
    """Neighbours of `items`, filled up with popular ones; popular when none has neighbours."""
    ids, scores = neighbour_top_k(arrays, items, k, seen, decay)
    return _filled(arrays, ids, scores, k, np.concatenate([seen, np.asarray(items, np.int64)]),
                   strategy)


def _filled(arrays: RecommenderArrays, ids: np.ndarray, scores: np.ndarray, k: int,
            exclude: np.ndarray, strategy: str) -> tuple[list[int], list[float], str]:
    """`ids` filled up to k with popular items (score 0) not in `exclude`; ``popular`` (with
    popularity scores) when `ids` is empty."""
    if ids.size == 0:
        ids, scores = popular_top_k(arrays, k, exclude)
        return ids.tolist(), scores.tolist(), "popular"
    if ids.size < k:
        fill_ids, _ = popular_top_k(arrays, k - ids.size, np.concatenate([exclude, ids]))
        ids = np.concatenate([ids, fill_ids])
        scores = np.concatenate([scores, np.zeros(fill_ids.size)])
    return ids.tolist(), scores.tolist(), strategy


Answer = tuple[list[int], list[float], str]


def recommend_many(arrays: RecommenderArrays,
                   requests: Sequence[RecommenderRequest]) -> list[Answer]:
    """One answer per request row, in request order (`items` parsed from its JSON list)."""
    return [recommend_row(arrays, r.mode or "visitor", r.visitorid, parse_id_list(r.items), r.k,
                          r.exclude_purchased) for r in requests]


class RecommenderModel(PythonModel):
    """mlflow pyfunc: loads ``recommender.npz`` and answers the contract's three modes."""

    def __init__(self) -> None:
        self.arrays: RecommenderArrays | None = None

    def load_context(self, context: Any) -> None:
        self.arrays = RecommenderArrays.load(context.artifacts[ARTIFACT_KEY])
        _ = self.arrays.factor_index  # built now, not on the first request
        settle_gc()

    def predict(self, context: Any, model_input: list[RecommenderRequest],
                params: dict[str, Any] | None = None) -> list[RecommenderAnswer]:
        """One answer per request row (MLflow has validated them against the type hint)."""
        del context, params
        if self.arrays is None:
            msg = "recommender artifacts not loaded; load the model with mlflow.pyfunc.load_model"
            raise ModelInputError(msg)
        return [
            RecommenderAnswer(items=json.dumps(ids),
                              scores=json.dumps([round(s, 6) for s in scores]),
                              strategy=strategy)
            for ids, scores, strategy in recommend_many(self.arrays, model_input)
        ]
