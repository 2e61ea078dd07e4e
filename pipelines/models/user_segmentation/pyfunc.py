"""JVM-free pyfunc of user_segmentation: the clustering space (:mod:`.space`) → standardise →
nearest KMeans centroid.

Artifact layout (two artifacts)::

    arrays → segmentation.npz
        caps             float64 (3,)       caps of log1p(events, carts, buys) (absent in
                                            versions before the five-coordinate space)
        mean, std        float64 (d,)       of the space's coordinates (Spark StandardScaler;
                                            std 0 → 0); d = 5, or 7 without caps
        centroids        float64 (k, d)     in the standardised space
        snapshot_ids     int64   (n,)       sorted visitor ids of the training history
        snapshot_counts  int64   (n, 4)     total_events, total_views, total_addtocart,
                                            total_transactions of each visitor
        snapshot_distinct int64  (n,)       distinct items of each visitor (optional:
                                            models trained before it was added lack it)
    meta   → segmentation_meta.json
        {"feature_names": [7 names], "space": [d names], "segment_names": [k names]}

Input and output: :class:`~shopstream.contracts.SegmentationRequest` and
:class:`~shopstream.contracts.SegmentationAnswer` rows, the type hints of ``predict`` (MLflow
builds the signature from them; docs/contracts.md). A row whose four
counts are all -1 asks for the stored snapshot of `visitorid`; its ratios are then recomputed
from the counts (view_ratio = views/events, addtocart_ratio = addtocarts/events,
transaction_ratio = transactions/views). An unknown visitor in lookup mode gets
cluster_id -1, segment "unknown" and NaN features. ``known`` says whether the visitor is in
the snapshot. Build a small model without Spark with :func:`save_segmentation_pyfunc`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel  # the base class must exist when this module loads

from shopstream.contracts import (
    SEGMENT_COUNTS,
    SEGMENT_FEATURES,
    VISITORID,
    SegmentationAnswer,
    SegmentationRequest,
)
from shopstream.errors import ModelInputError
from shopstream.model_runtime import field_matrix, require_columns, settle_gc, write_json

from .segments import FUNNEL, funnel_codes
from .space import space_names, to_space

PACKAGE = "user_segmentation"  # this package, as it travels with a version
ARRAYS_KEY = "arrays"
META_KEY = "meta"
ARRAYS_FILE = "segmentation.npz"
META_FILE = "segmentation_meta.json"
UNKNOWN_SEGMENT = "unknown"


@dataclass
class SegmentationArrays:
    mean: np.ndarray
    std: np.ndarray
    centroids: np.ndarray
    snapshot_ids: np.ndarray
    snapshot_counts: np.ndarray
    snapshot_distinct: np.ndarray | None = None  # distinct items per visitor (newer models)
    # [m]: visitors with fewer than m events are not clustered but form the one-view segment
    # (cluster id k, after the k centroids). Older versions cluster everyone.
    engaged_min_events: np.ndarray | None = None
    caps: np.ndarray | None = None  # the space's log caps (.space); None: log1p of 7 features

    def save(self, path: Path) -> Path:
        np.savez(path, **{f.name: getattr(self, f.name) for f in fields(self)
                          if getattr(self, f.name) is not None})
        return path

    @classmethod
    def load(cls, path: str | Path) -> SegmentationArrays:
        with np.load(path, allow_pickle=False) as data:
            return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def distinct_items(self, rows: np.ndarray) -> np.ndarray:
        """Stored distinct items of snapshot rows; -1 for row -1 or when not stored."""
        if self.snapshot_distinct is None or not len(self.snapshot_distinct):
            return np.full(len(rows), -1, dtype=np.int64)
        return np.where(rows >= 0, self.snapshot_distinct[np.maximum(rows, 0)], -1)

    def lookup(self, visitor_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(known mask, snapshot row per visitor; row -1 when unknown)."""
        if len(self.snapshot_ids) == 0:
            return np.zeros(len(visitor_ids), bool), np.full(len(visitor_ids), -1)
        pos = np.searchsorted(self.snapshot_ids, visitor_ids)
        clipped = np.minimum(pos, len(self.snapshot_ids) - 1)
        known = self.snapshot_ids[clipped] == visitor_ids
        return known, np.where(known, clipped, -1)


def ratios_from_counts(counts: np.ndarray) -> np.ndarray:
    """(n, 4) counts → (n, 3) view_ratio, addtocart_ratio, transaction_ratio (0 when /0)."""
    events, views, carts, buys = (counts[:, i].astype(np.float64) for i in range(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        view_ratio = np.where(events > 0, views / events, 0.0)
        cart_ratio = np.where(events > 0, carts / events, 0.0)
        buy_ratio = np.where(views > 0, buys / views, 0.0)
    return np.column_stack([view_ratio, cart_ratio, buy_ratio])


def standardise(arrays: SegmentationArrays, features: np.ndarray) -> np.ndarray:
    """(n, 7) contract features → standardised coordinates of the version's space. `arrays`
    may be an older version's own class (promotion re-scores a champion loaded with its own
    code), which has no `caps`: that version clustered log1p of the seven features."""
    logged = to_space(features, getattr(arrays, "caps", None))
    safe_std = np.where(arrays.std > 0, arrays.std, 1.0)
    return np.where(arrays.std > 0, (logged - arrays.mean) / safe_std, 0.0)


def nearest_centroid(arrays: SegmentationArrays, features: np.ndarray) -> np.ndarray:
    z = standardise(arrays, features)
    dist = ((z[:, None, :] - arrays.centroids[None, :, :]) ** 2).sum(axis=2)
    return dist.argmin(axis=1)


def served_labels(arrays: SegmentationArrays, features: np.ndarray) -> np.ndarray:
    """Cluster id per feature row as served: nearest centroid for engaged visitors, the
    one-view segment (id k) below the engagement threshold."""
    out = np.empty(len(features), dtype=np.int64)
    for start in range(0, len(features), 200_000):  # bounds the (n, k, 7) distance array
        out[start:start + 200_000] = nearest_centroid(arrays, features[start:start + 200_000])
    if arrays.engaged_min_events is not None:
        out[features[:, 0] < int(arrays.engaged_min_events[0])] = len(arrays.centroids)
    return out


def served_clusters(arrays: SegmentationArrays, counts: np.ndarray) -> np.ndarray:
    """served_labels of (n, 4) stored counts (ratios recomputed)."""
    return served_labels(arrays, np.column_stack([counts, ratios_from_counts(counts)]))


def _numbers(frame: pd.DataFrame, name: str, dtype: type) -> np.ndarray:
    """A column as numbers, without pandas' per-value conversion when it holds numbers
    already (the scoring server's usual case; this runs once per request)."""
    column = frame[name]
    if column.dtype.kind in ("biuf" if dtype is np.float64 else "iu"):
        return column.to_numpy(dtype=dtype)
    numbers = pd.to_numeric(column, errors="coerce")
    return (numbers.to_numpy(dtype=np.float64) if dtype is np.float64
            else numbers.fillna(-1).astype(dtype).to_numpy())


def resolve_features(arrays: SegmentationArrays, frame: pd.DataFrame) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """:func:`resolve` of a frame of contract rows (training-side callers and tests)."""
    require_columns(frame, SEGMENT_FEATURES, "user_segmentation")
    features = np.column_stack([_numbers(frame, name, np.float64) for name in SEGMENT_FEATURES])
    ids = (_numbers(frame, VISITORID, np.int64) if VISITORID in frame.columns
           else np.full(len(frame), -1, dtype=np.int64))
    return resolve(arrays, features, ids)


def resolve(arrays: SegmentationArrays, features: np.ndarray, ids: np.ndarray) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """(features (n, 7) with NaN rows for unknown lookups, known mask, lookup mask, snapshot
    row per input row: -1 unless the row was a lookup of a known visitor). `features` (n, 7)
    float64 is filled in place for lookups."""
    known, rows = arrays.lookup(ids)
    lookup = (features[:, :4] == -1).all(axis=1)
    use_snapshot = lookup & known
    if use_snapshot.any():
        counts = arrays.snapshot_counts[rows[use_snapshot]]
        features[use_snapshot] = np.column_stack([counts, ratios_from_counts(counts)])
    features[lookup & ~known] = np.nan
    return features, known, lookup, np.where(use_snapshot, rows, -1)


class SegmentationModel(PythonModel):
    """mlflow pyfunc: KMeans cluster and segment name for given or stored visitor features."""

    def __init__(self) -> None:
        self.arrays: SegmentationArrays | None = None
        self.segment_names: list[str] = []

    def load_context(self, context: Any) -> None:
        self.arrays = SegmentationArrays.load(context.artifacts[ARRAYS_KEY])
        meta = json.loads(Path(context.artifacts[META_KEY]).read_text())
        self.segment_names = list(meta["segment_names"])
        settle_gc()

    def predict(self, context: Any, model_input: list[SegmentationRequest],
                params: dict[str, Any] | None = None) -> list[SegmentationAnswer]:
        """One answer per request row. MLflow validates the rows against the type hint (and
        turns a DataFrame into rows) before this runs."""
        del context, params
        if self.arrays is None:
            msg = "user_segmentation artifacts not loaded; use mlflow.pyfunc.load_model"
            raise ModelInputError(msg)
        ids = np.array([r.visitorid for r in model_input], dtype=np.int64)
        features, known, _, rows = resolve(self.arrays, field_matrix(model_input,
                                                                     SEGMENT_FEATURES), ids)
        valid = ~np.isnan(features).any(axis=1)
        clusters = np.full(len(features), -1, dtype=np.int64)
        funnel = np.full(len(features), -1, dtype=np.int64)
        if valid.any():
            clusters[valid] = served_labels(self.arrays, features[valid])
            funnel[valid] = funnel_codes(features[valid, :4])
        counts = np.where(np.isnan(features[:, :4]), -1, features[:, :4]).astype(np.int64)
        return [
            SegmentationAnswer(
                cluster_id=c, segment=self.segment_names[c] if c >= 0 else UNKNOWN_SEGMENT,
                known=k, funnel_segment=FUNNEL[f] if f >= 0 else UNKNOWN_SEGMENT,
                **dict(zip(SEGMENT_COUNTS, n, strict=True)),
                **dict(zip(SEGMENT_FEATURES[len(SEGMENT_COUNTS):], ratios, strict=True)),
                distinct_items=d)
            for c, k, f, n, ratios, d in zip(
                clusters.tolist(), known.tolist(), funnel.tolist(), counts.tolist(),
                features[:, len(SEGMENT_COUNTS):].tolist(),
                self.arrays.distinct_items(rows).tolist(), strict=True)
        ]


def segmentation_input_example(known_visitor: int = -1) -> list[dict[str, Any]]:
    return [
        {VISITORID: -1, "total_events": 60, "total_views": 45, "total_addtocart": 6,
         "total_transactions": 3, "view_ratio": 0.75, "addtocart_ratio": 0.10,
         "transaction_ratio": 0.0667},
        {VISITORID: known_visitor, "total_events": -1, "total_views": -1, "total_addtocart": -1,
         "total_transactions": -1, "view_ratio": 0.0, "addtocart_ratio": 0.0,
         "transaction_ratio": 0.0},
    ]


def _writer(arrays: SegmentationArrays, segment_names: Sequence[str]) -> Any:
    def write(tmp: Path) -> dict[str, Path]:
        meta = {"feature_names": list(SEGMENT_FEATURES), "space": list(space_names(arrays.caps)),
                "segment_names": list(segment_names)}
        return {ARRAYS_KEY: arrays.save(tmp / ARRAYS_FILE),
                META_KEY: write_json(tmp / META_FILE, meta)}

    return write


def _example(arrays: SegmentationArrays) -> list[dict[str, Any]]:
    return segmentation_input_example(int(arrays.snapshot_ids[0]) if len(arrays.snapshot_ids)
                                      else -1)


def save_segmentation_arrays(
    path: str | Path, arrays: SegmentationArrays, segment_names: Sequence[str]
) -> Path:
    from pipelines.models.pyfunc_common import save_pyfunc

    return save_pyfunc(path, PACKAGE, _writer(arrays, segment_names), _example(arrays))


def log_segmentation_arrays(arrays: SegmentationArrays, segment_names: Sequence[str]) -> str:
    from pipelines.models.pyfunc_common import log_pyfunc

    return log_pyfunc(PACKAGE, _writer(arrays, segment_names), _example(arrays))


def save_segmentation_pyfunc(
    path: str | Path, mean: Any, std: Any, centroids: Any, segment_names: Sequence[str],
    snapshot: dict[int, Sequence[int]] | None = None, caps: Any = None,
) -> Path:
    """A small segmentation pyfunc from plain arrays (serving tests; no Spark).

    snapshot: {visitorid: [total_events, total_views, total_addtocart, total_transactions]},
    optionally with distinct_items as a fifth value (every entry then needs one). caps: the
    three log caps of the five-coordinate space; without them the centroids are in the
    seven-feature space of older versions.
    """
    snap = snapshot or {}
    ids = np.array(sorted(snap), dtype=np.int64)
    values = [list(snap[int(i)]) for i in ids]
    counts = np.array([v[:4] for v in values], dtype=np.int64).reshape(len(ids), 4)
    distinct = (np.array([v[4] for v in values], dtype=np.int64)
                if values and all(len(v) > 4 for v in values) else None)
    arrays = SegmentationArrays(
        mean=np.asarray(mean, dtype=np.float64), std=np.asarray(std, dtype=np.float64),
        centroids=np.asarray(centroids, dtype=np.float64), snapshot_ids=ids,
        snapshot_counts=counts, snapshot_distinct=distinct,
        caps=None if caps is None else np.asarray(caps, dtype=np.float64),
    )
    width = len(space_names(arrays.caps))
    if arrays.centroids.shape != (len(segment_names), width):
        msg = (f"centroids must be (k, {width}) with k = len(segment_names), "
               f"got {arrays.centroids.shape}")
        raise ModelInputError(msg)
    return save_segmentation_arrays(path, arrays, segment_names)
