"""The recommender, declared once for the lifecycle, the CLI, MLproject and promotion."""

from __future__ import annotations

from pipelines.models.recommender.evaluation import HOLDOUT_FILE, holdout_hr_at_10
from pipelines.models.recommender.params import RecommenderParams
from pipelines.models.recommender.run import train_and_log
from pipelines.models.spec import ModelSpec
from shopstream import contracts

SPEC = ModelSpec(
    name=contracts.RECOMMENDER,
    description=("Top-k product recommendations for a visitor (implicit ALS blended with a "
                 "session item-to-item model), for a session's items (item-to-item, SKNN or "
                 "V-SKNN, chosen on validation), and similar items."),
    route="GET /recommendations/{visitorid}, POST /recommendations/session, "
          "GET /items/{itemid}/similar",
    params_type=RecommenderParams,
    train=train_and_log,
    holdout_file=HOLDOUT_FILE,
    score_holdout=holdout_hr_at_10,
    main_metric="hr_at_10",
    io=contracts.MODEL_IO[contracts.RECOMMENDER],
    json_metrics=("hr_at_10", "ndcg_at_10", "recall_at_20", "mrr_at_20", "coverage",
                  "popularity_hr_at_10", "popularity_ndcg_at_10", "item_knn_hr_at_10",
                  "als_hr_at_10", "blend_hr_at_10", "best_baseline_hr_at_10"),
    baselines=("popularity_hr_at_10", "item_knn_hr_at_10"),
    original_batches="1-50",
)
