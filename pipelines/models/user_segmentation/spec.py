"""The user segmentation, declared once for the lifecycle, the CLI, MLproject and promotion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.models.spec import ModelSpec, TrainedModel
from pipelines.models.user_segmentation.params import SegmentationParams
from shopstream import contracts


def _train(loaded: Any, params: Any) -> TrainedModel:
    from pipelines.models.user_segmentation.run import train_and_log

    return train_and_log(loaded, params)


def _score(model_uri: str, holdout: Path) -> float | None:
    from pipelines.models.user_segmentation.evaluation import holdout_silhouette

    return holdout_silhouette(model_uri, holdout)


SPEC = ModelSpec(
    name=contracts.USER_SEGMENTATION,
    description=("A visitor's segment (named KMeans cluster) from their event counts and "
                 "ratios, or from their stored history by visitor id."),
    route="POST /segment-user, GET /visitors/{visitorid}",
    params_type=SegmentationParams,
    train=_train,
    holdout_file="segmentation_holdout.parquet",
    score_holdout=_score,
    main_metric="silhouette",
    io=contracts.MODEL_IO[contracts.USER_SEGMENTATION],
    json_metrics=("k", "silhouette", "ari_min", "min_segment_share", "one_view_share"),
    original_batches="101-150",
)
