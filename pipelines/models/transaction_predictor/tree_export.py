"""Spark RF / GBT classifier → :class:`TreeEnsemble` numpy arrays.

Read from the model's own saved form (``model.write().save(dir)``: ``data/`` holds one row
per node with treeID and nodeData{id, prediction, impurityStats, leftChild, rightChild,
split{featureIndex, leftCategoriesOrThreshold, numCategories}}; ``treesMetadata/`` the
weights), which is exactly what Spark evaluates. Only continuous splits occur here (the
assembled features carry no categorical metadata); anything else is refused.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.errors import PipelinesError
from pipelines.models.transaction_predictor.pyfunc import TreeEnsemble


def _read_parquet_dir(path: Path) -> pd.DataFrame:
    files = sorted(p for p in path.glob("*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)


def export_trees(model: Any, model_type: str) -> TreeEnsemble:
    """Flatten a fitted RandomForestClassificationModel ("rf") or GBTClassificationModel."""
    with tempfile.TemporaryDirectory(prefix="shopstream-trees-") as tmp:
        target = Path(tmp) / "model"
        model.write().overwrite().save(target.as_uri())
        nodes = _read_parquet_dir(target / "data")
        meta = _read_parquet_dir(target / "treesMetadata")
    # Spark writes (treeID, metadata, weights) as a tuple frame: columns _1, _2, _3.
    meta = meta.rename(columns={"_1": "treeID", "_2": "metadata", "_3": "weights"})
    meta = meta.sort_values("treeID")
    return ensemble_from_nodes(nodes, meta["weights"].to_numpy(np.float64), model_type)


def ensemble_from_nodes(nodes: pd.DataFrame, weights: np.ndarray, model_type: str) -> TreeEnsemble:
    flat = pd.json_normalize(nodes["nodeData"].tolist())
    flat["treeID"] = nodes["treeID"].to_numpy()
    flat = flat.sort_values(["treeID", "id"]).reset_index(drop=True)
    sizes = flat.groupby("treeID").size().sort_index().to_numpy()
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    ids_ok = (flat["id"].to_numpy() == np.concatenate([np.arange(n) for n in sizes]))
    if not ids_ok.all():
        msg = "unexpected Spark tree layout (node ids not 0..n-1); update tree_export.py"
        raise PipelinesError(msg)
    leaf = flat["leftChild"].to_numpy() < 0
    if (~leaf & (flat["split.numCategories"].to_numpy() >= 0)).any():
        msg = "categorical splits are not supported by the numpy pyfunc; use numeric features"
        raise PipelinesError(msg)
    thresholds = np.array([float(v[0]) if len(v) else 0.0
                           for v in flat["split.leftCategoriesOrThreshold"]])
    return TreeEnsemble(
        node_offsets=offsets,
        feature=np.where(leaf, -1, flat["split.featureIndex"].to_numpy()).astype(np.int32),
        threshold=np.where(leaf, 0.0, thresholds),
        left=flat["leftChild"].to_numpy().astype(np.int32),
        right=flat["rightChild"].to_numpy().astype(np.int32),
        leaf_value=_leaf_values(flat, model_type),
        tree_weights=np.asarray(weights, dtype=np.float64),
    )


def _leaf_values(flat: pd.DataFrame, model_type: str) -> np.ndarray:
    if model_type == "gbt":
        return flat["prediction"].to_numpy(np.float64)
    stats = flat["impurityStats"].tolist()
    values = []
    for s in stats:
        arr = np.asarray(s, dtype=np.float64)
        total = arr.sum()
        values.append(arr[1] / total if total > 0 and arr.size > 1 else 0.0)
    return np.array(values, dtype=np.float64)
