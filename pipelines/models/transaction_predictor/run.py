"""One transaction-predictor run: session rows, fit and evaluate (Spark), then log params,
metrics, curves, fill values, the holdout and both model flavours into the active run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.data.features import add_sessions
from pipelines.lifecycle.runs import CUTOFF_PARAM, log_holdout, log_spark_model, params_dict
from pipelines.lifecycle.timing import stage
from pipelines.lifecycle.tracking import finite_metrics, log_params_flat
from pipelines.models import plots
from pipelines.models.spec import TrainedModel
from pipelines.models.transaction_predictor.evaluation import HOLDOUT_FILE

if TYPE_CHECKING:
    from pipelines.data.selection import LoadedEvents
    from pipelines.models.transaction_predictor.params import PredictorParams
    from pipelines.models.transaction_predictor.training import PredictorResult

def train_and_log(loaded: LoadedEvents, params: PredictorParams) -> TrainedModel:
    from pipelines.models.transaction_predictor.training import train_transaction_predictor

    with stage("fit_evaluate"):
        result = train_transaction_predictor(add_sessions(loaded.frame), params)
    with stage("log_model"):
        uri = log_run(result, params)
    return TrainedModel(uri, dict(result.metrics))


def log_run(result: PredictorResult, params: PredictorParams) -> str:
    import mlflow

    from pipelines.models.transaction_predictor.pyfunc import log_transaction_arrays

    log_params_flat({**params_dict(params), "features": list(result.meta.feature_names),
                     CUTOFF_PARAM: result.cutoff_ms})
    mlflow.log_metrics(finite_metrics(result.metrics))
    mlflow.log_figure(plots.roc_curve(result.test_labels, result.test_scores), "plots/roc.png")
    mlflow.log_figure(plots.pr_curve(result.test_labels, result.test_scores,
                                     result.meta.threshold), "plots/pr.png")
    mlflow.log_figure(plots.reliability(result.test_labels, result.test_scores),
                      "plots/reliability.png")
    mlflow.log_dict({"feature_names": result.meta.feature_names,
                     "fill_values": result.meta.fill_values}, "features/fill_values.json")
    log_holdout(lambda p: result.holdout.to_parquet(p, index=False), HOLDOUT_FILE)
    log_spark_model(result.spark_model)
    return log_transaction_arrays(result.trees, result.meta)
