"""Evaluate the predictor exactly as it is served, beside honest baselines (numpy).

The router builds a request from the seed contract's three counts only; the model fills the
other features with their training medians and applies its monotone rule. "Served form" scores
are the pyfunc's own :func:`served_probability` of those three columns; "full form" gets every
feature. Baselines on the same rows: cart-only (score = add-to-carts so far), history-only
(the visitor's earlier purchases, then earlier carts) and the base rate (a constant).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.models.transaction_predictor.classification import (
    binary_metrics,
    max_f1_threshold,
)
from pipelines.models.transaction_predictor.pyfunc import (
    TransactionMeta,
    TreeEnsemble,
    served_probability,
)
from shopstream import contracts as cols

SEED_FIELDS = list(cols.REQUIRED_SESSION_FEATURES)


def served_scores(trees: TreeEnsemble, meta: TransactionMeta, rows: pd.DataFrame) -> np.ndarray:
    """P(transaction) for the request the router builds: the seed's three fields only."""
    return served_probability(trees, meta, rows[SEED_FIELDS])


def baseline_scores(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    history = (rows[cols.PREV_TRANSACTIONS].to_numpy(np.float64)
               + rows[cols.PREV_ADDTOCARTS].to_numpy(np.float64) / 1e6)
    return {"cart_only": rows[cols.NUM_ADDTOCART].to_numpy(np.float64),
            "history_only": history,
            "base_rate": np.zeros(len(rows))}


def brier(labels: np.ndarray, scores: np.ndarray) -> float:
    return float(np.mean((scores - labels) ** 2)) if len(labels) else float("nan")


def choose_threshold(trees: TreeEnsemble, meta: TransactionMeta, validation: pd.DataFrame,
                     min_recall: float = 0.0) -> tuple[float, int]:
    """(the served form's max-F1 threshold on validation among those keeping `min_recall`,
    validation positives)."""
    labels = validation[cols.LABEL].to_numpy(np.int64)
    scores = served_scores(trees, meta, validation)
    return max_f1_threshold(labels, scores, min_recall), int(labels.sum())


def evaluate(trees: TreeEnsemble, meta: TransactionMeta,
             test: pd.DataFrame) -> tuple[dict[str, float], np.ndarray]:
    """The run's metrics on the test rows (served form unprefixed; full_*, <baseline>_*) and
    the served scores."""
    labels = test[cols.LABEL].to_numpy(np.int64)
    served = served_scores(trees, meta, test)
    metrics = binary_metrics(labels, served, meta.threshold)
    metrics["brier"] = brier(labels, served)
    full = served_probability(trees, meta, test)
    full_metrics = binary_metrics(labels, full, meta.threshold)
    metrics.update({f"full_{k}": full_metrics[k] for k in ("roc_auc", "pr_auc", "precision",
                                                          "recall")})
    metrics["full_brier"] = brier(labels, full)
    for name, scores in baseline_scores(test).items():
        base = binary_metrics(labels, scores, 0.5)
        metrics[f"{name}_pr_auc"] = (base["pr_auc"] if name != "base_rate"
                                     else metrics["base_rate"])
        metrics[f"{name}_roc_auc"] = base["roc_auc"] if name != "base_rate" else 0.5
    best = max(metrics["cart_only_pr_auc"], metrics["history_only_pr_auc"],
               metrics["base_rate_pr_auc"])
    metrics["lift_over_best_baseline"] = metrics["pr_auc"] - best
    return metrics, served
