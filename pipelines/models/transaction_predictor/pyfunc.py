"""JVM-free pyfunc of the transaction predictor: a Spark RF/GBT ensemble as numpy arrays.

Artifact layout (two artifacts)::

    trees  → transaction_trees.npz
        node_offsets  int64   (n_trees + 1,)  nodes of tree t are node_offsets[t]:node_offsets[t+1]
        feature       int32   (n_nodes,)      split feature index, -1 for a leaf
        threshold     float64 (n_nodes,)      go left when x[feature] <= threshold (Spark's rule)
        left, right   int32   (n_nodes,)      child positions *within the tree*
        leaf_value    float64 (n_nodes,)      rf: P(class 1) at the leaf; gbt: leaf prediction
        tree_weights  float64 (n_trees,)
    meta   → transaction_meta.json
        {"model_type": "rf"|"gbt", "feature_names": [...], "fill_values": [...],
         "threshold": float, "required": ["num_views", "num_addtocart",
         "distinct_items_interacted"]}

Probability: rf → Σ w_t·p_t / Σ w_t; gbt → 1 / (1 + exp(-2·Σ w_t·v_t)) (Spark's LogLoss).
Input: :class:`~shopstream.contracts.TransactionRequest` rows, the type hint of ``predict``
(MLflow builds the signature from it). Missing optional features (or None / NaN values) take
their training median (fill_values). Output: :class:`~shopstream.contracts.TransactionAnswer`
rows, ``probability`` and ``will_transact`` (probability ≥ threshold).

Build a small model without Spark with :func:`save_transaction_pyfunc`. This package travels
with every registered version (see :mod:`pipelines.models.pyfunc_common`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel  # the base class must exist when this module loads

from shopstream.contracts import REQUIRED_SESSION_FEATURES, TransactionAnswer, TransactionRequest
from shopstream.errors import ModelInputError
from shopstream.model_runtime import field_matrix, require_columns, settle_gc, write_json

PACKAGE = "transaction_predictor"  # this package, as it travels with a version
TREES_KEY = "trees"
META_KEY = "meta"
TREES_FILE = "transaction_trees.npz"
META_FILE = "transaction_meta.json"


@dataclass
class TreeEnsemble:
    """Flattened decision trees (see the module docstring)."""

    node_offsets: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf_value: np.ndarray
    tree_weights: np.ndarray

    def save(self, path: Path) -> Path:
        np.savez(path, **{f.name: getattr(self, f.name) for f in fields(self)})
        return path

    @classmethod
    def load(cls, path: str | Path) -> TreeEnsemble:
        with np.load(path, allow_pickle=False) as data:
            return cls(**{f.name: data[f.name] for f in fields(cls)})

    @property
    def n_trees(self) -> int:
        return len(self.tree_weights)

    def leaf_values(self, x: np.ndarray) -> np.ndarray:
        """(n_rows, n_trees) value of the leaf each row reaches in each tree.

        All trees descend together, one level per step: a handful of numpy operations per
        level on (n_rows, n_trees) arrays, instead of per tree.
        """
        bases = self.node_offsets[: self.n_trees].astype(np.int64)
        node = np.broadcast_to(bases, (x.shape[0], self.n_trees)).copy()  # global node ids
        rows = np.arange(x.shape[0])[:, None]
        while True:
            feat = self.feature[node]
            inner = feat >= 0
            if not inner.any():
                break
            values = x[rows, np.where(inner, feat, 0)]
            child = np.where(values <= self.threshold[node], self.left[node], self.right[node])
            node = np.where(inner, child + bases, node)
        return self.leaf_value[node]


def ensemble_probability(trees: TreeEnsemble, model_type: str, x: np.ndarray) -> np.ndarray:
    """P(transaction) per row, computed the way Spark's RF / GBT classifiers do. Each row's
    weighted sum is reduced on its own (a matrix product's summation order depends on how
    many rows it holds), so a row scores the same alone as in any batch: the router's one-row
    calls, its coalesced ones and evaluation agree to the last bit."""
    values = trees.leaf_values(np.asarray(x, dtype=np.float64))
    weighted = (values * trees.tree_weights).sum(axis=1)
    if model_type == "rf":
        return weighted / trees.tree_weights.sum()
    if model_type == "gbt":
        return 1.0 / (1.0 + np.exp(-2.0 * weighted))
    msg = f"unknown model_type {model_type!r}; expected 'rf' or 'gbt'"
    raise ModelInputError(msg)


@dataclass
class TransactionMeta:
    model_type: str
    feature_names: list[str]
    fill_values: list[float]
    threshold: float
    required: list[str]
    # Features the served probability never decreases in (see served_probability).
    monotone_increasing: list[str] = field(default_factory=list)

    def save(self, path: Path) -> Path:
        return write_json(path, {f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def load(cls, path: str | Path) -> TransactionMeta:
        return cls(**json.loads(Path(path).read_text()))


def feature_matrix(frame: pd.DataFrame, meta: TransactionMeta) -> np.ndarray:
    """Input frame → (n, n_features) float64, missing columns / NaN → training medians."""
    require_columns(frame, meta.required, "transaction_predictor")
    x = np.full((len(frame), len(meta.feature_names)), np.nan)
    for i, name in enumerate(meta.feature_names):
        if name in frame.columns:
            x[:, i] = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
    return with_medians(x, meta)


def with_medians(x: np.ndarray, meta: TransactionMeta) -> np.ndarray:
    """NaN features (missing, None or not numeric) → the version's training medians."""
    return np.where(np.isnan(x), np.asarray(meta.fill_values, dtype=np.float64), x)


MONOTONE_CHUNK_ROWS = 50_000  # bounds the rows-by-candidates matrix scored at once


def monotone_probability(trees: TreeEnsemble, model_type: str, x: np.ndarray,
                         column: int) -> np.ndarray:
    """max over v <= x[:, column] of P(x with x[:, column] = v): the smallest function above the
    ensemble that never decreases in that column. P is constant on each interval (t_i-1, t_i]
    between the trees' split thresholds t on the column (a value equal to t goes left), so the
    candidates are the thresholds below the row's value, and the value itself. Each row and
    all its candidates go down the trees in one pass (a chunk of rows at a time)."""
    splits = np.unique(trees.threshold[trees.feature == column])
    best = np.empty(len(x), dtype=np.float64)
    for start in range(0, len(x), MONOTONE_CHUNK_ROWS):
        chunk = x[start:start + MONOTONE_CHUNK_ROWS]
        rows, which = np.nonzero(splits[None, :] < chunk[:, column, None])
        moved = chunk[rows]
        moved[:, column] = splits[which]
        scores = ensemble_probability(trees, model_type, np.concatenate([chunk, moved]))
        part = scores[:len(chunk)].copy()
        np.maximum.at(part, rows, scores[len(chunk):])
        best[start:start + len(chunk)] = part
    return best


def row_feature_matrix(rows: Sequence[Any], meta: TransactionMeta) -> np.ndarray:
    """:func:`feature_matrix` of request rows (the pyfunc's input): a field the rows lack, or
    None, takes its training median."""
    return with_medians(field_matrix(rows, meta.feature_names), meta)


def served_probability(trees: TreeEnsemble, meta: TransactionMeta,
                       frame: pd.DataFrame) -> np.ndarray:
    """P(transaction) exactly as the model serves it: missing optional features take their
    training medians; non-decreasing in each of meta.monotone_increasing."""
    return matrix_probability(trees, meta, feature_matrix(frame, meta))


def matrix_probability(trees: TreeEnsemble, meta: TransactionMeta, x: np.ndarray) -> np.ndarray:
    """:func:`served_probability` of a feature matrix."""
    if not meta.monotone_increasing:
        return ensemble_probability(trees, meta.model_type, x)
    if len(meta.monotone_increasing) > 1:
        msg = "one monotone feature is supported; retrain with a single one"
        raise ModelInputError(msg)
    column = meta.feature_names.index(meta.monotone_increasing[0])
    return monotone_probability(trees, meta.model_type, x, column)


class TransactionModel(PythonModel):
    """mlflow pyfunc: numpy evaluation of the RF/GBT trees, thresholded."""

    def __init__(self) -> None:
        self.trees: TreeEnsemble | None = None
        self.meta: TransactionMeta | None = None

    def load_context(self, context: Any) -> None:
        self.trees = TreeEnsemble.load(context.artifacts[TREES_KEY])
        self.meta = TransactionMeta.load(context.artifacts[META_KEY])
        settle_gc()

    def predict(self, context: Any, model_input: list[TransactionRequest],
                params: dict[str, Any] | None = None) -> list[TransactionAnswer]:
        """One answer per request row (MLflow has validated them against the type hint)."""
        del context, params
        if self.trees is None or self.meta is None:
            msg = "transaction_predictor artifacts not loaded; use mlflow.pyfunc.load_model"
            raise ModelInputError(msg)
        proba = matrix_probability(self.trees, self.meta,
                                   row_feature_matrix(model_input, self.meta))
        return [TransactionAnswer(probability=p, will_transact=p >= self.meta.threshold)
                for p in proba.tolist()]


def transaction_input_example(meta: TransactionMeta) -> list[dict[str, Any]]:
    row: dict[str, Any] = {n: round(v) for n, v in
                           zip(meta.feature_names, meta.fill_values, strict=True)
                           if n in meta.required}
    row.update({"num_views": 15, "num_addtocart": 2, "distinct_items_interacted": 8})
    return [row]


def _writer(trees: TreeEnsemble, meta: TransactionMeta) -> Any:
    def write(tmp: Path) -> dict[str, Path]:
        return {TREES_KEY: trees.save(tmp / TREES_FILE), META_KEY: meta.save(tmp / META_FILE)}

    return write


def save_transaction_arrays(path: str | Path, trees: TreeEnsemble, meta: TransactionMeta) -> Path:
    from pipelines.models.pyfunc_common import save_pyfunc

    return save_pyfunc(path, PACKAGE, _writer(trees, meta), transaction_input_example(meta))


def log_transaction_arrays(trees: TreeEnsemble, meta: TransactionMeta) -> str:
    from pipelines.models.pyfunc_common import log_pyfunc

    return log_pyfunc(PACKAGE, _writer(trees, meta), transaction_input_example(meta))


def stump_ensemble(
    feature_index: int, split: float, low: float, high: float
) -> TreeEnsemble:
    """One depth-1 tree: P = low when x[feature_index] <= split else high (tests, demos)."""
    return TreeEnsemble(
        node_offsets=np.array([0, 3], dtype=np.int64),
        feature=np.array([feature_index, -1, -1], dtype=np.int32),
        threshold=np.array([split, 0.0, 0.0]),
        left=np.array([1, -1, -1], dtype=np.int32),
        right=np.array([2, -1, -1], dtype=np.int32),
        leaf_value=np.array([0.0, low, high]),
        tree_weights=np.array([1.0]),
    )


def save_transaction_pyfunc(
    path: str | Path, trees: TreeEnsemble | None = None, *, threshold: float = 0.5,
    feature_names: Sequence[str] = REQUIRED_SESSION_FEATURES,
    fill_values: Sequence[float] | None = None, model_type: str = "rf",
) -> Path:
    """A small predictor pyfunc without Spark (serving tests).

    Default trees: one stump, P = 0.9 when num_addtocart > 0.5 else 0.1.
    """
    trees = trees or stump_ensemble(list(feature_names).index("num_addtocart"), 0.5, 0.1, 0.9)
    meta = TransactionMeta(
        model_type=model_type, feature_names=list(feature_names),
        fill_values=list(fill_values) if fill_values is not None else [0.0] * len(feature_names),
        threshold=float(threshold), required=list(REQUIRED_SESSION_FEATURES),
    )
    return save_transaction_arrays(path, trees, meta)
