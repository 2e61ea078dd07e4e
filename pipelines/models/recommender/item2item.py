"""Item-to-item model from session co-occurrence (Spark), collected into numpy arrays.

Spark builds the distinct (session, item) pairs; the co-occurrence counts are one sparse
matrix product in scipy (far cheaper than a Spark self-join on two cores).
similarity(a, b) = sessions containing both / sqrt(sessions with a · sessions with b)
(cosine over session-incidence vectors). Each item keeps its `n_neighbours` most similar
items. Only a session's `max_items` most recent distinct items count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines.data.features import to_pandas
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pyspark.sql import DataFrame



@dataclass
class Neighbours:
    keys: np.ndarray  # int64 (n,) sorted
    items: np.ndarray  # int64 (n, m), -1 padded
    scores: np.ndarray  # float32 (n, m)


def session_items(sessions: DataFrame, max_items: int = 30) -> DataFrame:
    """Distinct (visitor, session, item) keeping each session's `max_items` latest items."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    latest = sessions.groupBy(cols.VISITORID, cols.SESSION, cols.ITEMID).agg(
        sf.max(cols.TIMESTAMP).alias("_ts"))
    recency = Window.partitionBy(cols.VISITORID, cols.SESSION).orderBy(
        sf.col("_ts").desc(), cols.ITEMID)
    return (latest.withColumn("_r", sf.row_number().over(recency))
            .where(sf.col("_r") <= max_items).drop("_r", "_ts"))


def session_item_pairs(sessions: DataFrame, max_items: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """(session code, item) int64 arrays of the distinct session items, collected."""
    from pyspark.sql import functions as sf

    pdf = to_pandas(session_items(sessions, max_items)
                    .select(sf.xxhash64(cols.VISITORID, cols.SESSION).alias("s"), cols.ITEMID))
    return pdf["s"].to_numpy(np.int64), pdf[cols.ITEMID].to_numpy(np.int64)


def cooccurrence_neighbours(session_codes: np.ndarray, items: np.ndarray,
                            n_neighbours: int = 20) -> Neighbours:
    """Cosine co-occurrence over the session-by-item incidence matrix (scipy), top-n per item."""
    from scipy import sparse

    if len(items) == 0:
        return Neighbours(np.empty(0, np.int64), np.full((0, 1), -1, np.int64),
                          np.zeros((0, 1), np.float32))
    _, session_idx = np.unique(session_codes, return_inverse=True)
    item_ids, item_idx = np.unique(items, return_inverse=True)
    incidence = sparse.csr_matrix(
        (np.ones(len(items), dtype=np.float32), (session_idx, item_idx)),
        shape=(int(session_idx.max()) + 1, len(item_ids)),
    )
    incidence.data[:] = 1.0
    co = (incidence.T @ incidence).tocsr()
    support = np.asarray(co.diagonal(), dtype=np.float64)
    co.setdiag(0)
    co.eliminate_zeros()
    return _top_neighbours(co, support, item_ids, n_neighbours)


def _top_neighbours(co: Any, support: np.ndarray, item_ids: np.ndarray,
                    n_neighbours: int) -> Neighbours:
    rows = np.flatnonzero(np.diff(co.indptr) > 0)
    width = max(1, min(n_neighbours, int(np.diff(co.indptr).max(initial=1))))
    out_items = np.full((len(rows), width), -1, dtype=np.int64)
    out_scores = np.zeros((len(rows), width), dtype=np.float32)
    for r, row in enumerate(rows):
        start, end = co.indptr[row], co.indptr[row + 1]
        nb_cols = co.indices[start:end]
        sims = co.data[start:end] / np.sqrt(support[row] * support[nb_cols])
        order = np.lexsort((item_ids[nb_cols], -sims))[:width]
        out_items[r, : len(order)] = item_ids[nb_cols[order]]
        out_scores[r, : len(order)] = sims[order]
    return Neighbours(keys=item_ids[rows], items=out_items, scores=out_scores)
