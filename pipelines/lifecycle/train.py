"""Train, evaluate, log, register (and promote) the selected models, each driven by its spec.

``shopstream train`` and ``python -m pipelines train`` (MLproject's entry points) build
:class:`~pipelines.lifecycle.options.TrainOptions` and call :func:`train_models` in-process.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipelines.data.features import add_sessions, time_bounds
from pipelines.data.profile import profile_events
from pipelines.data.selection import DataSelection, LoadedEvents, load_events
from pipelines.lifecycle.data_report import log_data_report
from pipelines.lifecycle.descriptions import (
    TrainingData,
    model_description,
    run_name,
    version_description,
)
from pipelines.lifecycle.options import TrainOptions
from pipelines.lifecycle.timing import collect_stages, stage
from pipelines.lifecycle.tracking import (
    active_run_id,
    data_tags,
    describe_model,
    log_input_dataset,
    model_run,
    parent_run,
    register_version,
    run_link,
    training_data,
    version_link,
)
from pipelines.models.spec import ModelSpec, TrainedModel
from shopstream import contracts
from shopstream.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

    from shopstream.progress_file import ProgressFile

logger = logging.getLogger(__name__)


@dataclass
class ModelOutcome:
    run_id: str
    version: str | None
    promoted: bool
    metrics: dict[str, Any]
    json_extra: dict[str, Any] | None = None
    links: dict[str, str] | None = None  # run_url, version_url: the MLflow UI's pages

    def to_json(self, spec: ModelSpec) -> dict[str, Any]:
        picked = {k: self.metrics.get(k) for k in spec.json_metrics}
        picked.update(self.json_extra or {})
        return {"run_id": self.run_id, "version": self.version, "promoted": self.promoted,
                "metrics": picked, **(self.links or {})}


def train_models(settings: Settings, options: TrainOptions, spark: SparkSession | None = None,
                 progress: ProgressFile | None = None) -> dict[str, Any]:
    """Every selected model trained, logged, registered (and promoted): the --json payload.
    ``progress``: rows = events loaded, done/total = models finished of those selected."""
    from pipelines.data.spark import get_spark

    started = time.perf_counter()
    specs = options.specs
    if progress is not None:
        progress.update(done=0, total=len(specs), force=True)
    session = spark or get_spark(settings, app_name="shopstream-train")
    cache: dict[DataSelection, LoadedEvents] = {}
    inputs: dict[str, LoadedEvents] = {}
    with parent_run(settings):
        for spec in specs:
            selection = options.selection_for(spec)
            if selection not in cache:
                with stage("load_events"):
                    loaded = load_events(session, settings, selection)
                    loaded.frame = add_sessions(loaded.frame).cache()  # shared by all three
                    rows = loaded.frame.count()  # materialised once, before the model threads
                    loaded.description["rows"] = rows  # the runs' names and descriptions
                with stage("data_profile"):
                    loaded.profile = profile_events(loaded.frame)
                if progress is not None:
                    progress.update(rows=progress.state.rows + rows, force=True)
                cache[selection] = loaded
            inputs[spec.name] = cache[selection]
        parent = active_run_id()
        by_name = {spec.name: spec for spec in specs}

        def work(model: str) -> ModelOutcome:
            outcome = train_one(settings, options, by_name[model], inputs[model], parent)
            if progress is not None:
                progress.update(advance=1, force=True)
            return outcome

        results = run_each(tuple(by_name), work, parallel=options.parallel)
        outcomes = {name: results[name].to_json(spec) for name, spec in by_name.items()}
        if options.original_recipe:
            from pipelines.experiments.original_recipe import run_original_recipe

            run_original_recipe(settings, options, inputs[specs[0].name])
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


def train_one(settings: Settings, options: TrainOptions, spec: ModelSpec,
              loaded: LoadedEvents, parent_run_id: str | None = None) -> ModelOutcome:
    bounds = time_bounds(loaded.frame)
    data = training_data(loaded, bounds)
    tags = {**data_tags(loaded, bounds), "model": spec.name, "recipe": "shopstream"}
    import mlflow

    started = time.perf_counter()
    with collect_stages() as times, model_run(settings, run_name(spec.name, data),
                                              tags, parent_run_id) as run:
        log_input_dataset(loaded, f"events {data.label}")
        if loaded.profile is not None:
            log_data_report(settings, loaded.profile, options.registered_name(spec))
        trained = spec.train(loaded, options.params_of(spec))
        mlflow.log_metric("train_seconds", time.perf_counter() - started)
        mlflow.log_metrics(times)
        run_id, experiment_id = run.info.run_id, run.info.experiment_id
    name = options.registered_name(spec)
    links = {"run_url": run_link(settings, experiment_id, run_id)}
    with stage(f"{spec.name}_register"):
        version = register_version(
            settings, trained.model_uri, name, run_id, version_tags(spec, data, tags, trained),
            version_description(spec, data, trained.metrics, links["run_url"],
                                tags["git_commit"]))
        describe_model(settings, name, model_description(spec))
    links["version_url"] = version_link(settings, name, version)
    promoted = False
    if options.promote:
        from pipelines.lifecycle.promotion import promote

        refusal = spec.refusal(trained.metrics, options.params_of(spec))
        with stage(f"{spec.name}_promote"):
            promoted = promote(settings, name, version, refusal=refusal).promoted
    logger.info("%s: run %s, version %s, promoted %s", spec.name, run_id, version, promoted)
    return ModelOutcome(run_id, version, promoted, trained.metrics, trained.json_extra, links)


def version_tags(spec: ModelSpec, data: TrainingData, run_tags: dict[str, str],
                 trained: TrainedModel) -> dict[str, str]:
    """What a person filters versions on: data range and source, code, model type (and the
    predictor's decision threshold, which serving reports). Metrics stay on the run."""
    tags = {**data.tags(), "git_commit": run_tags["git_commit"],
            contracts.MODEL_TYPE_TAG: spec.name}
    if "threshold" in trained.metrics:
        tags["threshold"] = f"{trained.metrics['threshold']:.6g}"
    return tags
