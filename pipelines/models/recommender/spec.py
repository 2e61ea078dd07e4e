"""The recommender, declared once for the lifecycle, the CLI, MLproject and promotion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.models.recommender.params import RecommenderParams
from pipelines.models.spec import ModelSpec, TrainedModel
from shopstream import contracts


def _train(loaded: Any, params: Any) -> TrainedModel:
    from pipelines.models.recommender.run import train_and_log

    return train_and_log(loaded, params)


def _score(model_uri: str, holdout: Path) -> float | None:
    from pipelines.models.recommender.evaluation import holdout_hr_at_10

    return holdout_hr_at_10(model_uri, holdout)


SPEC = ModelSpec(
    name=contracts.RECOMMENDER,
    description=("Top-k product recommendations for a visitor (implicit ALS blended with a "
                 "session item-to-item model), for a session's items, and similar items."),
    route="GET /recommendations/{visitorid}, POST /recommendations/session, "
          "GET /items/{itemid}/similar",
    params_type=RecommenderParams,
    train=_train,
    holdout_file="recommender_holdout.npz",
    score_holdout=_score,
    main_metric="hr_at_10",
    io=contracts.MODEL_IO[contracts.RECOMMENDER],
    json_metrics=("hr_at_10", "ndcg_at_10", "recall_at_20", "mrr_at_20", "coverage",
                  "popularity_hr_at_10", "popularity_ndcg_at_10", "item_knn_hr_at_10",
                  "als_hr_at_10", "blend_hr_at_10", "best_baseline_hr_at_10"),
    original_batches="1-50",
)
