"""Evaluation plots (matplotlib, Agg backend), each returned as a Figure for mlflow.log_figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def _figure(title: str) -> tuple[Figure, object]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    return fig, ax


def hr_at_k(curves: Mapping[str, Sequence[float]]) -> Figure:
    fig, ax = _figure("Hit rate @K on the evaluation period")
    for label, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", label=label)  # type: ignore[attr-defined]
    ax.set_xlabel("K")  # type: ignore[attr-defined]
    ax.set_ylabel("HR@K")  # type: ignore[attr-defined]
    ax.legend()  # type: ignore[attr-defined]
    return fig


def roc_curve(labels: np.ndarray, scores: np.ndarray) -> Figure:
    from sklearn.metrics import roc_auc_score
    from sklearn.metrics import roc_curve as sk_roc

    fig, ax = _figure("ROC (evaluation period)")
    if 0 < labels.sum() < len(labels):
        fpr, tpr, _ = sk_roc(labels, scores)
        ax.plot(fpr, tpr, label=f"AUC {roc_auc_score(labels, scores):.3f}")  # type: ignore[attr-defined]
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")  # type: ignore[attr-defined]
    ax.set_xlabel("false positive rate")  # type: ignore[attr-defined]
    ax.set_ylabel("true positive rate")  # type: ignore[attr-defined]
    ax.legend()  # type: ignore[attr-defined]
    return fig


def pr_curve(labels: np.ndarray, scores: np.ndarray, threshold: float) -> Figure:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig, ax = _figure("Precision-recall (evaluation period)")
    if 0 < labels.sum() < len(labels):
        precision, recall, _ = precision_recall_curve(labels, scores)
        ap = average_precision_score(labels, scores)
        ax.plot(recall, precision, label=f"AP {ap:.3f}")  # type: ignore[attr-defined]
        ax.axhline(labels.mean(), linestyle="--", color="grey", label="base rate")  # type: ignore[attr-defined]
        chosen = scores >= threshold
        if chosen.any():
            ax.scatter([labels[chosen].sum() / labels.sum()], [labels[chosen].mean()],  # type: ignore[attr-defined]
                       color="red", label=f"threshold {threshold:.3f}", zorder=3)
    ax.set_xlabel("recall")  # type: ignore[attr-defined]
    ax.set_ylabel("precision")  # type: ignore[attr-defined]
    ax.legend()  # type: ignore[attr-defined]
    return fig


def silhouette_by_k(scores: Mapping[int, float]) -> Figure:
    fig, ax = _figure("Silhouette by k")
    ks = sorted(scores)
    ax.plot(ks, [scores[k] for k in ks], marker="o")  # type: ignore[attr-defined]
    ax.set_xlabel("k")  # type: ignore[attr-defined]
    ax.set_ylabel("silhouette")  # type: ignore[attr-defined]
    return fig


def segment_profiles(profiles: pd.DataFrame, features: Sequence[str]) -> Figure:
    """One group of bars per segment: each feature's member mean relative to its largest."""
    fig, ax = _figure("Segment profiles (member means, relative to max)")
    fig.set_size_inches(9, 4.5)
    values = profiles[list(features)].to_numpy(dtype=float)
    scale = np.where(values.max(axis=0) > 0, values.max(axis=0), 1.0)
    width = 0.8 / max(len(features), 1)
    x = np.arange(len(profiles))
    for i, name in enumerate(features):
        ax.bar(x + i * width, values[:, i] / scale[i], width=width, label=name)  # type: ignore[attr-defined]
    ax.set_xticks(x + 0.4 - width / 2)  # type: ignore[attr-defined]
    ax.set_xticklabels([f"{s}\n(n={n})" for s, n in zip(profiles["segment"], profiles["size"],  # type: ignore[attr-defined]
                                                          strict=True)], fontsize=7)
    ax.legend(fontsize=6)  # type: ignore[attr-defined]
    return fig


def reliability(labels: np.ndarray, scores: np.ndarray, bins: int = 10) -> Figure:
    """Mean predicted probability against the observed rate, per probability bin."""
    fig, ax = _figure("Reliability (served form, evaluation period)")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges) - 1, 0, bins - 1)
    filled = [b for b in range(bins) if (which == b).any()]
    predicted = [float(scores[which == b].mean()) for b in filled]
    observed = [float(labels[which == b].mean()) for b in filled]
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")  # type: ignore[attr-defined]
    ax.plot(predicted, observed, marker="o", label="model")  # type: ignore[attr-defined]
    ax.set_xlabel("mean predicted probability")  # type: ignore[attr-defined]
    ax.set_ylabel("observed transaction rate")  # type: ignore[attr-defined]
    ax.legend()  # type: ignore[attr-defined]
    return fig
