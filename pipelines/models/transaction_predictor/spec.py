"""The transaction predictor, declared once for the lifecycle, the CLI, MLproject and
promotion."""

from __future__ import annotations

from typing import Any

from pipelines.models.spec import ModelSpec
from pipelines.models.transaction_predictor.evaluation import HOLDOUT_FILE, holdout_pr_auc
from pipelines.models.transaction_predictor.params import PredictorParams
from pipelines.models.transaction_predictor.run import train_and_log
from shopstream import contracts


def _gate(metrics: dict[str, Any], params: Any) -> str | None:
    """Why a version must not be promoted, or None: too few buying validation sessions make
    the threshold a guess."""
    positives = int(metrics.get("val_positives", 0))
    if positives < params.min_val_positives:
        return (f"only {positives} buying sessions in the validation period (need "
                f"{params.min_val_positives}) to choose the threshold; train on more history")
    return None


SPEC = ModelSpec(
    name=contracts.TRANSACTION_PREDICTOR,
    description=("Probability that a visitor's session ends in a purchase, and the yes/no "
                 "decision at the threshold tuned on validation (random forest or GBT)."),
    route="POST /predict-transaction",
    params_type=PredictorParams,
    train=train_and_log,
    holdout_file=HOLDOUT_FILE,
    score_holdout=holdout_pr_auc,
    main_metric="pr_auc",
    io=contracts.MODEL_IO[contracts.TRANSACTION_PREDICTOR],
    json_metrics=("roc_auc", "pr_auc", "base_rate", "precision", "recall", "threshold",
                  "brier", "full_pr_auc", "cart_only_pr_auc", "history_only_pr_auc",
                  "val_positives"),
    baselines=("base_rate_pr_auc", "cart_only_pr_auc", "history_only_pr_auc"),
    original_batches="51-100",
    promotion_gate=_gate,
)
