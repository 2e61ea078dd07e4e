"""Log one trained model into its MLflow run: params, metrics, plots, both model flavours.

Each function runs inside an active run and returns the pyfunc's model URI (to register).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines import columns as cols
from pipelines import plots
from pipelines.timing import stage
from pipelines.tracking import finite_metrics, log_params_flat

if TYPE_CHECKING:
    from pipelines.recommender import RecommenderParams, RecommenderResult
    from pipelines.transaction_predictor import PredictorParams, PredictorResult
    from pipelines.user_segmentation import SegmentationParams, SegmentationResult

SPARK_MODEL_PATH = "spark-model"
PYFUNC_NAME = "pyfunc"


def _params_dict(params: Any) -> dict[str, Any]:
    out = {}
    for key, value in dataclasses.asdict(params).items():
        if isinstance(value, dict):
            out.update({f"{key}_{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def log_spark_model(model: Any) -> None:
    """The Spark MLlib flavour. Requirements are given, not inferred: inference reloads the
    model in a fresh Python + JVM (about a minute on two cores)."""
    import mlflow.spark

    with stage("log_spark_model"):
        mlflow.spark.log_model(model, SPARK_MODEL_PATH, pip_requirements=spark_requirements())


def spark_requirements() -> list[str]:
    from importlib.metadata import version

    return [f"mlflow=={version('mlflow')}", f"pyspark=={version('pyspark')}",
            f"numpy=={version('numpy')}", f"pandas=={version('pandas')}"]


def log_recommender(result: RecommenderResult, params: RecommenderParams) -> str:
    import mlflow

    from pipelines.pyfunc_recommender import log_recommender_arrays

    log_params_flat({**_params_dict(params), **{f"best_{k}": v for k, v in result.best.items()},
                     "cutoff_ms": result.cutoff_ms})
    mlflow.log_metrics(finite_metrics(result.metrics))
    for point in result.grid_scores:
        name = "val_hr_at_10_rank{rank}_reg{reg_param:g}_alpha{alpha:g}".format(**point)
        mlflow.log_metric(name, point["val_hr_at_10"])
    for k, (als, pop) in enumerate(zip(result.hr_curve_als, result.hr_curve_popular,
                                       strict=True), start=1):
        mlflow.log_metric("hr_at_k", als, step=k)
        mlflow.log_metric("popularity_hr_at_k", pop, step=k)
    mlflow.log_figure(plots.hr_at_k({"model": result.hr_curve_als,
                                     "popularity": result.hr_curve_popular}),
                      "plots/hr_at_k.png")
    _log_holdout(result.holdout.save, "recommender_holdout.npz")
    log_spark_model(result.spark_model)
    return log_recommender_arrays(result.arrays, PYFUNC_NAME)


def log_predictor(result: PredictorResult, params: PredictorParams) -> str:
    import mlflow

    from pipelines.pyfunc_transaction import log_transaction_arrays

    log_params_flat({**_params_dict(params), "features": list(result.meta.feature_names),
                     "cutoff_ms": result.cutoff_ms})
    mlflow.log_metrics(finite_metrics(result.metrics))
    mlflow.log_figure(plots.roc_curve(result.test_labels, result.test_scores), "plots/roc.png")
    mlflow.log_figure(plots.pr_curve(result.test_labels, result.test_scores,
                                     result.meta.threshold), "plots/pr.png")
    mlflow.log_dict({"feature_names": result.meta.feature_names,
                     "fill_values": result.meta.fill_values}, "features/fill_values.json")
    _log_holdout(lambda p: result.holdout.to_parquet(p, index=False), "predictor_holdout.parquet")
    log_spark_model(result.spark_model)
    return log_transaction_arrays(result.trees, result.meta, PYFUNC_NAME)


def log_segmentation(result: SegmentationResult, params: SegmentationParams) -> str:
    import mlflow

    from pipelines.pyfunc_segmentation import log_segmentation_arrays

    log_params_flat(_params_dict(params))
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
    _log_holdout(lambda p: result.holdout.to_parquet(p, index=False),
                 "segmentation_holdout.parquet")
    log_spark_model(result.spark_model)
    return log_segmentation_arrays(result.arrays, result.names, PYFUNC_NAME)


def _log_holdout(write: Any, filename: str) -> None:
    """The evaluation rows, kept so promotion can re-score a champion on the same period."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="shopstream-holdout-") as tmp:
        path = Path(tmp) / filename
        write(path)
        mlflow.log_artifact(str(path), "holdout")
