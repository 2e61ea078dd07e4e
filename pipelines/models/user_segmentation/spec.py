"""The user segmentation, declared once for the lifecycle, the CLI, MLproject and promotion."""

from __future__ import annotations

from pipelines.models.spec import ModelSpec
from pipelines.models.user_segmentation.evaluation import HOLDOUT_FILE, holdout_silhouette
from pipelines.models.user_segmentation.params import SegmentationParams
from pipelines.models.user_segmentation.run import train_and_log
from shopstream import contracts

SPEC = ModelSpec(
    name=contracts.USER_SEGMENTATION,
    description=("A visitor's segment (named KMeans cluster) from their event counts and "
                 "ratios, or from their stored history by visitor id."),
    route="POST /segment-user, GET /visitors/{visitorid}",
    params_type=SegmentationParams,
    train=train_and_log,
    holdout_file=HOLDOUT_FILE,
    score_holdout=holdout_silhouette,
    main_metric="silhouette",
    io=contracts.MODEL_IO[contracts.USER_SEGMENTATION],
    json_metrics=("k", "silhouette", "ari_min", "min_segment_share", "one_view_share"),
    original_batches="101-150",
)
