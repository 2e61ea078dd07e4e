"""Train, evaluate, log, register (and promote) the three models — the `train` entry point.

``python -m pipelines.train [flags]`` (what MLproject's entry points run) and
``shopstream train [flags]`` call :func:`train_models` in-process with the same options.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipelines.data import DataSelection, LoadedEvents, load_events
from pipelines.errors import PipelinesError
from pipelines.features import add_sessions, time_bounds
from pipelines.recommender import RecommenderParams
from pipelines.timing import collect_stages, stage
from pipelines.tracking import (
    active_run_id,
    data_tags,
    log_input_dataset,
    model_run,
    parent_run,
    register_version,
)
from pipelines.transaction_predictor import PredictorParams
from pipelines.user_segmentation import SegmentationParams
from shopstream.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)
MODELS = ("recommender", "transaction_predictor", "user_segmentation")
JSON_METRICS = {
    "recommender": ("hr_at_10", "ndcg_at_10", "recall_at_20", "mrr_at_20", "coverage",
                    "popularity_hr_at_10", "popularity_ndcg_at_10"),
    "transaction_predictor": ("roc_auc", "pr_auc", "base_rate", "precision", "recall",
                              "threshold"),
    "user_segmentation": ("k", "silhouette"),
}


@dataclass
class TrainOptions:
    models: tuple[str, ...] = MODELS
    selection: DataSelection = field(default_factory=DataSelection)
    original_ranges: bool = False
    recommender: RecommenderParams = field(default_factory=RecommenderParams)
    predictor: PredictorParams = field(default_factory=PredictorParams)
    segmentation: SegmentationParams = field(default_factory=SegmentationParams)
    name_prefix: str = ""
    promote: bool = True
    original_recipe: bool = False
    # The models train in parallel threads on the one SparkSession: each has long driver-side
    # stretches (numpy, plots, uploads, registry calls) that leave the cores to the others.
    parallel: bool = True

    def registered_name(self, model: str) -> str:
        return f"{self.name_prefix}{model}"


@dataclass
class ModelOutcome:
    run_id: str
    version: str | None
    promoted: bool
    metrics: dict[str, Any]

    def to_json(self, model: str) -> dict[str, Any]:
        picked = {k: self.metrics.get(k) for k in JSON_METRICS[model]}
        if model == "user_segmentation":
            picked["k"] = int(self.metrics.get("k", 0))
            picked["sizes"] = self.metrics.get("sizes", [])
        return {"run_id": self.run_id, "version": self.version, "promoted": self.promoted,
                "metrics": picked}


def check_models(models: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        msg = f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}"
        raise PipelinesError(msg)
    return models or MODELS


def train_models(settings: Settings, options: TrainOptions,
                 spark: SparkSession | None = None) -> dict[str, Any]:
    """Every selected model trained, logged, registered (and promoted): the --json payload."""
    from pipelines.spark import get_spark

    started = time.perf_counter()
    models = check_models(options.models)
    session = spark or get_spark(settings, app_name="shopstream-train")
    cache: dict[DataSelection, LoadedEvents] = {}
    inputs: dict[str, LoadedEvents] = {}
    with parent_run(settings):
        for model in models:
            selection = options.selection.for_model(model, options.original_ranges)
            if selection not in cache:
                with stage("load_events"):
                    loaded = load_events(session, settings, selection)
                    loaded.frame = add_sessions(loaded.frame).cache()  # shared by all three
                    loaded.frame.count()  # materialised once, before the model threads start
                cache[selection] = loaded
            inputs[model] = cache[selection]
        parent = active_run_id()
        results = run_each(
            models, lambda m: train_one(settings, options, m, inputs[m], parent),
            parallel=options.parallel)
        outcomes = {model: results[model].to_json(model) for model in models}
        if options.original_recipe:
            from pipelines.original_recipe import run_original_recipe

            run_original_recipe(settings, options, inputs[models[0]])
    for loaded in cache.values():
        loaded.frame.unpersist()
    return {"seconds": round(time.perf_counter() - started, 3), "models": outcomes}


def run_each(models: tuple[str, ...], work: Callable[[str], ModelOutcome], *,
             parallel: bool) -> dict[str, ModelOutcome]:
    """work(model) for every model, in threads when parallel. Every model runs to its end even
    when another fails; then the first failure (in model order) is raised."""
    if not parallel or len(models) < 2:
        return {m: work(m) for m in models}
    with ThreadPoolExecutor(max_workers=len(models), thread_name_prefix="train") as pool:
        futures = {m: pool.submit(work, m) for m in models}
        wait(futures.values())
    failed = [(m, f.exception()) for m, f in futures.items() if f.exception() is not None]
    for model, error in failed[1:]:
        logger.error("%s failed too: %s", model, error)
    if failed:
        raise failed[0][1]  # type: ignore[misc]
    return {m: f.result() for m, f in futures.items()}


def train_one(settings: Settings, options: TrainOptions, model: str,
              loaded: LoadedEvents, parent_run_id: str | None = None) -> ModelOutcome:
    bounds = time_bounds(loaded.frame)
    tags = {**data_tags(loaded, bounds), "model": model, "recipe": "shopstream"}
    import mlflow

    started = time.perf_counter()
    with collect_stages() as times, model_run(settings, f"{model} {loaded.batches}",
                                              tags, parent_run_id) as run:
        log_input_dataset(loaded, f"events {loaded.batches}")
        model_uri, metrics = TRAINERS[model](loaded, options)
        mlflow.log_metric("train_seconds", time.perf_counter() - started)
        mlflow.log_metrics(times)
        run_id = run.info.run_id
    name = options.registered_name(model)
    version_tags = {k: tags[k] for k in ("batches", "date_from", "date_to", "git_commit")}
    if "threshold" in metrics:
        version_tags["threshold"] = f"{metrics['threshold']:.6g}"
    with stage(f"{model}_register"):
        version = register_version(settings, model_uri, name, run_id, metrics, version_tags)
    promoted = False
    if options.promote:
        from pipelines.promotion import promote

        with stage(f"{model}_promote"):
            promoted = promote(settings, name, version).promoted
    logger.info("%s: run %s, version %s, promoted %s", model, run_id, version, promoted)
    return ModelOutcome(run_id, version, promoted, metrics)


def _train_recommender(loaded: LoadedEvents, options: TrainOptions) -> tuple[str, dict[str, Any]]:
    from pipelines.recommender import train_recommender
    from pipelines.runs import log_recommender

    with stage("fit_evaluate"):
        result = train_recommender(loaded.frame, options.recommender)
    with stage("log_model"):
        uri = log_recommender(result, options.recommender)
    return uri, dict(result.metrics)


def _train_predictor(loaded: LoadedEvents, options: TrainOptions) -> tuple[str, dict[str, Any]]:
    from pipelines.runs import log_predictor
    from pipelines.transaction_predictor import train_transaction_predictor

    with stage("fit_evaluate"):
        result = train_transaction_predictor(add_sessions(loaded.frame), options.predictor)
    with stage("log_model"):
        uri = log_predictor(result, options.predictor)
    return uri, dict(result.metrics)


def _train_segmentation(loaded: LoadedEvents, options: TrainOptions) -> tuple[
    str, dict[str, Any]
]:
    from pipelines.runs import log_segmentation
    from pipelines.user_segmentation import train_user_segmentation

    with stage("fit_evaluate"):
        result = train_user_segmentation(loaded.frame, options.segmentation)
    with stage("log_model"):
        uri = log_segmentation(result, options.segmentation)
    return uri, {**result.metrics, "sizes": result.sizes}


TRAINERS: dict[str, Callable[[LoadedEvents, TrainOptions], tuple[str, dict[str, Any]]]] = {
    "recommender": _train_recommender,
    "transaction_predictor": _train_predictor,
    "user_segmentation": _train_segmentation,
}


if __name__ == "__main__":
    from pipelines.cli import run_standalone

    run_standalone("train")
