"""Building and logging recommender pyfunc versions: input example, plain-array
models for tests, and the artifact writer (training side; the served code is ``pyfunc``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.models.recommender.pyfunc import (
    ARTIFACT_FILE,
    ARTIFACT_KEY,
    PACKAGE,
    RecommenderArrays,
)


def recommender_input_example(visitorid: int = -1,
                              item: int | None = None) -> list[dict[str, Any]]:
    items = json.dumps([item] if item is not None else [])
    return [{"mode": "visitor", "visitorid": visitorid, "items": "[]", "k": 10,
             "exclude_purchased": True},
            {"mode": "similar", "visitorid": -1, "items": items, "k": 10,
             "exclude_purchased": True}]


def arrays_from_plain(
    user_ids: Sequence[int], user_factors: Any, item_ids: Sequence[int], item_factors: Any,
    popular: Sequence[int], neighbours: Mapping[int, Sequence[tuple[int, float]]],
    purchased: Mapping[int, Sequence[int]], popular_scores: Sequence[float] | None = None,
) -> RecommenderArrays:
    """RecommenderArrays from lists/dicts: neighbours {item: [(neighbour, score), …]},
    purchased {visitor: [items to exclude]}."""
    uids = np.asarray(user_ids, dtype=np.int64)
    order = np.argsort(uids, kind="stable")
    uids = uids[order]
    ufac = np.asarray(user_factors, dtype=np.float32).reshape(len(uids), -1)[order]
    keys = np.array(sorted(neighbours), dtype=np.int64)
    width = max([len(v) for v in neighbours.values()] + [1])
    nb_items = np.full((len(keys), width), -1, dtype=np.int64)
    nb_scores = np.zeros((len(keys), width), dtype=np.float32)
    for row, key in enumerate(keys):
        for col, (nb, score) in enumerate(neighbours[int(key)]):
            nb_items[row, col], nb_scores[row, col] = nb, score
    seen_ids = np.array(sorted(set(uids.tolist()) | {int(v) for v in purchased}), dtype=np.int64)
    seen_lists = [np.asarray(purchased.get(int(u), []), dtype=np.int64) for u in seen_ids]
    indptr = np.concatenate([[0], np.cumsum([len(s) for s in seen_lists])]).astype(np.int64)
    pop = np.asarray(popular, dtype=np.int64)
    pop_scores = (np.asarray(popular_scores, dtype=np.float64) if popular_scores is not None
                  else np.linspace(1.0, 0.5, num=len(pop)) if len(pop) else np.empty(0))
    return RecommenderArrays(
        user_ids=uids, user_factors=ufac, item_ids=np.asarray(item_ids, dtype=np.int64),
        item_factors=np.asarray(item_factors, dtype=np.float32).reshape(len(item_ids), -1),
        popular_items=pop, popular_scores=pop_scores, neighbour_keys=keys,
        neighbour_items=nb_items, neighbour_scores=nb_scores, seen_ids=seen_ids, seen_indptr=indptr,
        seen_items=np.concatenate(seen_lists) if seen_lists else np.empty(0, np.int64),
    )


def _writer(arrays: RecommenderArrays) -> Any:
    def write(tmp: Path) -> dict[str, Path]:
        return {ARTIFACT_KEY: arrays.save(tmp / ARTIFACT_FILE)}

    return write


def save_recommender_arrays(path: str | Path, arrays: RecommenderArrays) -> Path:
    """Save a loadable mlflow pyfunc model directory at `path` (must not exist)."""
    example = recommender_input_example(
        int(arrays.user_ids[0]) if len(arrays.user_ids) else -1,
        int(arrays.item_ids[0]) if len(arrays.item_ids) else None,
    )
    from pipelines.models.pyfunc_common import save_pyfunc

    return save_pyfunc(path, PACKAGE, _writer(arrays), example)


def log_recommender_arrays(arrays: RecommenderArrays) -> str:
    """Log the pyfunc into the active MLflow run; returns its model URI."""
    example = recommender_input_example(
        int(arrays.user_ids[0]) if len(arrays.user_ids) else -1,
        int(arrays.item_ids[0]) if len(arrays.item_ids) else None,
    )
    from pipelines.models.pyfunc_common import log_pyfunc

    return log_pyfunc(PACKAGE, _writer(arrays), example)


def save_recommender_pyfunc(
    path: str | Path, user_ids: Sequence[int], user_factors: Any, item_ids: Sequence[int],
    item_factors: Any, popular: Sequence[int],
    neighbours: Mapping[int, Sequence[tuple[int, float]]], purchased: Mapping[int, Sequence[int]],
) -> Path:
    """A small recommender pyfunc from plain arrays (serving tests; no Spark needed).

    Example: ``save_recommender_pyfunc(tmp / "m", [1, 2], [[1, 0], [0, 1]], [10, 20],
    [[1, 0], [0, 1]], [20, 10], {10: [(20, 0.5)]}, {1: [10]})``.
    """
    arrays = arrays_from_plain(user_ids, user_factors, item_ids, item_factors, popular,
                               neighbours, purchased)
    return save_recommender_arrays(path, arrays)
