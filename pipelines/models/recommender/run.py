"""One recommender run: fit and evaluate (Spark), then log params, metrics, plots, the holdout
and both model flavours into the active MLflow run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.lifecycle.runs import CUTOFF_PARAM, log_holdout, log_spark_model, params_dict
from pipelines.lifecycle.timing import stage
from pipelines.lifecycle.tracking import finite_metrics, log_params_flat
from pipelines.models import plots
from pipelines.models.recommender.evaluation import HOLDOUT_FILE
from pipelines.models.spec import TrainedModel

if TYPE_CHECKING:
    from pipelines.data.selection import LoadedEvents
    from pipelines.models.recommender.params import RecommenderParams
    from pipelines.models.recommender.training import RecommenderResult

def train_and_log(loaded: LoadedEvents, params: RecommenderParams) -> TrainedModel:
    from pipelines.models.recommender.training import train_recommender

    with stage("fit_evaluate"):
        result = train_recommender(loaded.frame, params)
    with stage("log_model"):
        uri = log_run(result, params)
    return TrainedModel(uri, dict(result.metrics))


def log_run(result: RecommenderResult, params: RecommenderParams) -> str:
    import mlflow

    from pipelines.models.recommender.packaging import log_recommender_arrays
    from pipelines.models.recommender.session_knn import SKNN, VSKNN

    log_params_flat({**params_dict(params), **{f"best_{k}": v for k, v in result.best.items()},
                     CUTOFF_PARAM: result.cutoff_ms, "visitor_strategy": result.extra["strategy"],
                     "visitor_blend_weight": result.extra["blend_weight"],
                     "session_strategy": result.extra["session_strategy"],
                     "session_strategy_chosen_by": "val_session_mrr_at_20",
                     "sknn": SKNN, "vsknn": VSKNN})
    mlflow.log_metrics(finite_metrics(result.metrics))
    for point in result.grid_scores:
        name = "val_hr_at_10_rank{rank}_reg{reg_param:g}_alpha{alpha:g}".format(**point)
        mlflow.log_metric(name, point["val_hr_at_10"])
    for k, (als, pop) in enumerate(zip(result.hr_curve_als, result.hr_curve_popular,
                                       strict=True), start=1):
        mlflow.log_metric("hr_at_k", als, step=k)
        mlflow.log_metric("popularity_hr_at_k", pop, step=k)
    mlflow.log_figure(plots.hr_at_k({f"served ({result.extra['strategy']})": result.hr_curve_als,
                                     "popularity": result.hr_curve_popular}),
                      "plots/hr_at_k.png")
    log_holdout(result.holdout.save, HOLDOUT_FILE)
    log_spark_model(result.spark_model)
    return log_recommender_arrays(result.arrays)
