"""One segmentation run: fit KMeans over the k range (Spark), then log params, silhouettes,
segment sizes and profiles, the holdout and both model flavours into the active run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.lifecycle.runs import log_holdout, log_spark_model, params_dict
from pipelines.lifecycle.timing import stage
from pipelines.lifecycle.tracking import finite_metrics, log_params_flat
from pipelines.models import plots
from pipelines.models.spec import TrainedModel
from pipelines.models.user_segmentation.evaluation import HOLDOUT_FILE
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pipelines.data.selection import LoadedEvents
    from pipelines.models.user_segmentation.params import SegmentationParams
    from pipelines.models.user_segmentation.training import SegmentationResult

def train_and_log(loaded: LoadedEvents, params: SegmentationParams) -> TrainedModel:
    from pipelines.models.user_segmentation.training import train_user_segmentation

    with stage("fit_evaluate"):
        result = train_user_segmentation(loaded.frame, params)
    with stage("log_model"):
        uri = log_run(result, params)
    return TrainedModel(uri, {**result.metrics, "sizes": result.sizes},
                        json_extra={"k": int(result.metrics.get("k", 0)), "sizes": result.sizes})


def log_run(result: SegmentationResult, params: SegmentationParams) -> str:
    import mlflow

    from pipelines.models.user_segmentation.pyfunc import log_segmentation_arrays

    log_params_flat(params_dict(params))
    mlflow.log_metrics(finite_metrics(result.metrics))
    for k, score in sorted(result.silhouettes.items()):
        mlflow.log_metric("silhouette_by_k", score, step=k)
        mlflow.log_metric(f"silhouette_k{k}", score)
    for name, size in zip(result.names, result.sizes, strict=True):
        key = name.replace(" ", "_").replace("(", "").replace(")", "")
        mlflow.log_metric(f"segment_size_{key}", float(size))
    mlflow.log_figure(plots.silhouette_by_k(result.silhouettes), "plots/silhouette_by_k.png")
    mlflow.log_figure(plots.segment_profiles(result.profiles, cols.SEGMENT_FEATURES),
                      "plots/segment_profiles.png")
    mlflow.log_table(result.profiles, "segments/profiles.json")
    log_holdout(lambda p: result.holdout.to_parquet(p, index=False), HOLDOUT_FILE)
    log_spark_model(result.spark_model)
    return log_segmentation_arrays(result.arrays, result.names)
