"""Session-based kNN: SKNN and V-SKNN (Ludewig & Jannach, "Evaluation of session-based
recommendation algorithms", 2018), vectorised in numpy over a recent-sessions index.

What session-rec (github.com/rn5l/session-rec, ``algorithms/knn/sknn.py`` and ``vsknn.py``)
does, and what this module does the same way:

- A training session is the set of its distinct items and the time of its last event.
- The candidate neighbours of the current session are the ``sample_size`` most recent
  training sessions (by last event) that share at least one item with it.
- SKNN: similarity = cosine between the binary item sets,
  |C ∩ N| / sqrt(|C| · |N|) (session-rec writes ``li / sqrt(la) * sqrt(lb)``, which only
  scales every similarity of one request by the same factor: the rankings are cosine's).
- V-SKNN (``VMContextKNN``, similarity ``vec``): Σ_{i ∈ C ∩ N} w_i / |C|, where w_i weighs
  the current session's item i by the position of its last occurrence (``weighting``).
- The k most similar candidates with similarity > 0 vote: item score = Σ over neighbours
  holding the item of similarity · decay, where for V-SKNN decay falls with the number of
  steps back from the end of the current session to the most recent current item the
  neighbour holds (``weighting_score``; 1 = the last item). SKNN does not decay.
- Items of the current session are not banned (``remind=True``): re-views count as hits.

Where this differs, and why: session-rec's ``linear`` position weight is 0 beyond the 10th
position of the *session* (``if i <= 10``) and its ``linear`` score decay turns negative
beyond 10 steps; both are floored at 0 here (1 - 0.1·distance, never negative). Ties between
equally similar candidates go to the more recent session (session-rec keeps set order), and
ties between equal item scores to the smaller item id. Retail Rocket's configuration in
session-rec (``conf/save/retailrocket/session_based/window/window_retailr_baselines.yml``):
SKNN k=50, sample_size=5000, cosine; V-SKNN k=1500, sample_size=2500, weighting ``same``,
weighting_score ``linear`` (similarity left at its default, ``vec``) — :data:`SKNN`, :data:`VSKNN`.

Served code: numpy only (this package travels with every registered version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SIMILARITIES = ("cosine", "vec")
WEIGHTINGS = ("same", "div", "linear", "quadratic", "log")
_EMPTY_IDS = np.empty(0, dtype=np.int64)
_EMPTY_SCORES = np.empty(0, dtype=np.float64)


@dataclass(frozen=True)
class KnnConfig:
    """One session-kNN variant: neighbours k, candidate sample, similarity and weightings."""

    k: int
    sample_size: int
    similarity: str = "cosine"
    weighting: str = "same"  # position weight of the current session's items (similarity)
    weighting_score: str = "same"  # decay of a neighbour's vote by steps back (scores)

    def as_array(self) -> np.ndarray:
        return np.array([self.k, self.sample_size, SIMILARITIES.index(self.similarity),
                         WEIGHTINGS.index(self.weighting),
                         WEIGHTINGS.index(self.weighting_score)], dtype=np.float64)

    @classmethod
    def from_array(cls, row: np.ndarray) -> KnnConfig:
        k, sample, sim, weighting, score = (int(v) for v in row[:5])
        return cls(k, sample, SIMILARITIES[sim], WEIGHTINGS[weighting], WEIGHTINGS[score])


SKNN = KnnConfig(k=50, sample_size=5000, similarity="cosine")
VSKNN = KnnConfig(k=1500, sample_size=2500, similarity="vec", weighting="same",
                  weighting_score="linear")


def position_weights(positions: np.ndarray, length: int, weighting: str) -> np.ndarray:
    """Weight of an item whose last occurrence is at 1-based `positions` of a `length`-long
    session (session-rec's ``weighting``; later positions weigh more for all but ``same``)."""
    p = positions.astype(np.float64)
    if weighting == "same":
        return np.ones_like(p)
    if weighting == "div":
        return p / length
    if weighting == "linear":
        return np.maximum(0.0, 1.0 - 0.1 * (length - p))
    if weighting == "quadratic":
        return (p / length) ** 2
    if weighting == "log":
        return 1.0 / np.log10(length - p + 1.7)
    msg = f"weighting must be one of {WEIGHTINGS}, got {weighting!r}"
    raise ValueError(msg)


def step_decay(steps: np.ndarray, weighting: str) -> np.ndarray:
    """Decay of a neighbour's vote when its most recent shared item is `steps` back from the
    end of the current session (1 = the last item; session-rec's ``weighting_score``)."""
    s = steps.astype(np.float64)
    if weighting == "same":
        return np.ones_like(s)
    if weighting == "div":
        return 1.0 / s
    if weighting == "linear":
        return np.maximum(0.0, 1.0 - 0.1 * s)
    if weighting == "quadratic":
        return 1.0 / (s * s)
    if weighting == "log":
        return 1.0 / np.log10(s + 1.7)
    msg = f"weighting_score must be one of {WEIGHTINGS}, got {weighting!r}"
    raise ValueError(msg)


@dataclass
class SessionIndex:
    """Training sessions, most recent (by last event) first, as two CSR views:
    session → its distinct items, and item → the sessions holding it (most recent first,
    each list capped at the largest sample size, which cannot change any candidate set)."""

    session_indptr: np.ndarray  # int64 (n_sessions + 1,)
    session_items: np.ndarray  # int64 (nnz,) item ids, sorted within a session
    item_ids: np.ndarray  # int64 (n_items,) sorted
    item_indptr: np.ndarray  # int64 (n_items + 1,)
    item_sessions: np.ndarray  # int64 (n_postings,) session rows, ascending = most recent first

    @property
    def n_sessions(self) -> int:
        return len(self.session_indptr) - 1

    def rows_of(self, items: np.ndarray) -> np.ndarray:
        """Row of each item id in item_ids, -1 when the item is not indexed."""
        if not self.item_ids.size:
            return np.full(items.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.item_ids, items), self.item_ids.size - 1)
        return np.where(self.item_ids[pos] == items, pos, -1)


def empty_index() -> SessionIndex:
    zero = np.zeros(1, dtype=np.int64)
    return SessionIndex(zero, _EMPTY_IDS, _EMPTY_IDS, zero.copy(), _EMPTY_IDS)


def build_session_index(sessions: np.ndarray, timestamps: np.ndarray, items: np.ndarray,
                        max_sessions: int, max_postings: int) -> SessionIndex:
    """Index of the `max_sessions` most recent sessions from event arrays (session key,
    timestamp, item id per event; any order, repeats allowed)."""
    if not len(items):
        return empty_index()
    keys, key_of = np.unique(sessions, return_inverse=True)
    last = np.full(len(keys), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, key_of, timestamps.astype(np.int64))
    recency = np.lexsort((keys, -last))[:max_sessions]  # most recent first, ties by key
    row_of_key = np.full(len(keys), -1, dtype=np.int64)
    row_of_key[recency] = np.arange(len(recency))
    rows = row_of_key[key_of]
    kept = rows >= 0
    item_ids, item_col = np.unique(items[kept].astype(np.int64), return_inverse=True)
    pairs = np.unique(rows[kept] * len(item_ids) + item_col.ravel())  # distinct, by row
    pair_rows, pair_items = pairs // len(item_ids), pairs % len(item_ids)
    by_item = np.argsort(pair_items * len(recency) + pair_rows, kind="stable")
    counts = np.bincount(pair_items, minlength=len(item_ids))
    rank = np.arange(len(pairs)) - np.repeat(np.cumsum(counts) - counts, counts)
    item_indptr = np.concatenate([[0], np.cumsum(np.minimum(counts, max_postings))])
    return SessionIndex(_indptr(pair_rows, len(recency)), item_ids[pair_items],
                        item_ids, item_indptr.astype(np.int64),
                        pair_rows[by_item][rank < max_postings].astype(np.int64))


def _indptr(sorted_rows: np.ndarray, n_rows: int) -> np.ndarray:
    counts = np.bincount(sorted_rows, minlength=n_rows)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def _gather(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """values[starts[0]:ends[0]] + values[starts[1]:ends[1]] + … without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return values[:0]
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return values[np.arange(total) + offsets]


@dataclass
class _Current:
    """The current session's distinct items: weight (similarity) and steps back (decay)."""

    items: np.ndarray
    weights: np.ndarray
    steps: np.ndarray


def _current_session(items: Sequence[int], config: KnnConfig) -> _Current:
    seq = np.asarray(items, dtype=np.int64)
    distinct, first_from_end = np.unique(seq[::-1], return_index=True)
    steps = first_from_end + 1  # 1 = the last item of the session
    weights = position_weights(len(seq) - first_from_end, len(seq), config.weighting)
    return _Current(distinct, weights, steps)


def find_neighbours(index: SessionIndex, current: _Current, config: KnnConfig) -> tuple[
    np.ndarray, np.ndarray
]:
    """(session rows, vote weights) of the k nearest candidate sessions."""
    rows = index.rows_of(current.items)
    known = np.flatnonzero(rows >= 0)
    if not known.size:
        return _EMPTY_IDS, _EMPTY_SCORES
    starts = index.item_indptr[rows[known]]
    ends = np.minimum(index.item_indptr[rows[known] + 1], starts + config.sample_size)
    postings = _gather(index.item_sessions, starts, ends)
    owner = np.repeat(known, ends - starts)  # which current item each posting belongs to
    candidates, inverse = np.unique(postings, return_inverse=True)
    n = min(len(candidates), config.sample_size)  # ascending rows = most recent first
    inverse = inverse.ravel()
    in_sample = inverse < n
    overlap = np.bincount(inverse[in_sample], weights=current.weights[owner[in_sample]],
                          minlength=n)
    if config.similarity == "cosine":
        sizes = np.diff(index.session_indptr)[candidates[:n]].astype(np.float64)
        norm = np.sqrt(float(np.square(current.weights).sum()) * sizes)
    else:
        norm = np.full(n, float(len(current.items)))
    similarity = overlap / norm
    steps = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(steps, inverse[in_sample], current.steps[owner[in_sample]])
    positive = np.flatnonzero(similarity > 0)
    order = positive[np.lexsort((positive, -similarity[positive]))][: config.k]
    votes = similarity[order] * step_decay(steps[order], config.weighting_score)
    return candidates[order], votes


def knn_scores(index: SessionIndex, items: Sequence[int], config: KnnConfig) -> tuple[
    np.ndarray, np.ndarray
]:
    """(item ids, scores) of every item in the current session's k nearest sessions."""
    if not len(items) or index.n_sessions == 0:
        return _EMPTY_IDS, _EMPTY_SCORES
    neighbours, votes = find_neighbours(index, _current_session(items, config), config)
    if not neighbours.size:
        return _EMPTY_IDS, _EMPTY_SCORES
    starts, ends = index.session_indptr[neighbours], index.session_indptr[neighbours + 1]
    held = _gather(index.session_items, starts, ends)
    ids, inverse = np.unique(held, return_inverse=True)
    scores = np.bincount(inverse.ravel(), weights=np.repeat(votes, ends - starts),
                         minlength=len(ids))
    return ids, scores


def knn_top_k(index: SessionIndex, items: Sequence[int], k: int, config: KnnConfig,
              exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The k best-scored items (score > 0), `exclude` ids removed; ties to the smaller id."""
    ids, scores = knn_scores(index, items, config)
    keep = scores > 0
    if exclude.size:
        keep &= ~np.isin(ids, exclude)
    ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:k]
    return ids[order], scores[order]
