"""Score a registered recommender version on a logged holdout (promotion's re-scoring):
HR@10 of the served ranking, seen items excluded, with the training run's own numpy metrics."""

from __future__ import annotations

from pathlib import Path

from pipelines.lifecycle.rescoring import load_python_model

HOLDOUT_FILE = "recommender_holdout.npz"  # the evaluation rows each run logs under holdout/

def holdout_hr_at_10(model_uri: str, holdout_path: Path) -> float | None:
    from pipelines.models.recommender.ranking import RankingHoldout, ranking_metrics, served_ranked

    arrays = load_python_model(model_uri).arrays
    holdout = RankingHoldout.load(holdout_path)
    ranked = served_ranked(arrays, holdout, k=10)
    return ranking_metrics(ranked, holdout, max(len(arrays.item_ids), 1))["hr_at_10"]
