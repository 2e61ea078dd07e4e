"""The transaction predictor's parameters (public ones are `shopstream train` options and
MLproject parameters, see :mod:`pipelines.models.spec`)."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.models.spec import public


@dataclass(frozen=True)
class PredictorParams:
    classifier: str = public("rf", "rf or gbt.")
    num_trees: int = public(40, "Trees (rf) or boosting rounds (gbt).")
    max_depth: int = public(8, "Tree depth.")
    seed: int = public(42, "Seed of every random step.")
    eval_days: float = public(14.0, "Evaluate on the last N days of the selection.")
    val_days: float = 7.0
    max_train_rows: int = 300_000
    holdout_rows: int = 100_000
    min_recall: float = public(
        0.5, "The threshold keeps at least this share of validation buyers (max F1 among "
        "those thresholds); 0 = plain max F1.")
    min_val_positives: int = public(
        20, "Fewest buying validation sessions for a version to be promotable.")
