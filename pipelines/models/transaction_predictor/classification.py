"""Binary-classification evaluation in numpy: ROC-AUC, PR-AUC, max-F1 threshold."""

from __future__ import annotations

import numpy as np


def max_f1_threshold(labels: np.ndarray, scores: np.ndarray, min_recall: float = 0.0) -> float:
    """The score threshold (predict 1 when score ≥ t) with the highest F1 on these rows among
    those that keep at least `min_recall` of the positives (recall only grows as the
    threshold falls, so one always does)."""
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if labels.sum() == 0 or len(labels) == 0:
        return 0.5
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    tp = np.cumsum(sorted_labels)
    fp = np.cumsum(1 - sorted_labels)
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    tp, fp, thresholds = tp[last_of_tie], fp[last_of_tie], sorted_scores[last_of_tie]
    precision = tp / (tp + fp)
    recall = tp / labels.sum()
    f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    f1 = np.where(recall >= min_recall, f1, -1.0)
    return float(thresholds[int(np.argmax(f1))])


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """ROC-AUC, PR-AUC (average precision), base rate, precision/recall/F1 at `threshold`."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    both = 0 < labels.sum() < len(labels)
    predicted = scores >= threshold
    tp = float((predicted & (labels == 1)).sum())
    precision = tp / predicted.sum() if predicted.sum() else 0.0
    recall = tp / labels.sum() if labels.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "roc_auc": float(roc_auc_score(labels, scores)) if both else float("nan"),
        "pr_auc": float(average_precision_score(labels, scores)) if both else float("nan"),
        "base_rate": float(labels.mean()) if len(labels) else 0.0,
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "threshold": float(threshold),
        "eval_sessions": float(len(labels)),
    }
