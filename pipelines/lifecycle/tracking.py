"""MLflow plumbing: experiment/run setup, input datasets, tags, version registration.

Client-side only the tracking URI is needed: the server proxies artifacts
(``mlflow-artifacts:/`` URIs), so no S3 credentials are read here.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipelines.data.selection import LoadedEvents
from pipelines.lifecycle.descriptions import TrainingData
from shopstream.contracts import PRODUCTION_ALIAS
from shopstream.mlflow_links import export_credentials, model_version_url, run_url
from shopstream.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from mlflow import ActiveRun
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)
PARENT_RUN_ENV = "MLFLOW_RUN_ID"  # set by `mlflow run` for the project's run
# The project run being resumed. Inside parent_run, MLFLOW_RUN_ID is out of the environment
# (mlflow.start_run would otherwise resume it in place of every new model run) and kept here.
_project_run: list[str] = []
# The tracking server creates a dataset on first use with a check-then-insert: models trained in
# parallel threads logging the same input at once hit its UNIQUE constraint. One at a time.
_DATASET_LOCK = threading.Lock()


def project_run_id() -> str | None:
    """The `mlflow run` project run of this process, if any."""
    return os.environ.get(PARENT_RUN_ENV) or (_project_run[0] if _project_run else None)


def configure(settings: Settings) -> str:
    """Point mlflow at the tracking server; returns the experiment id to log into."""
    import mlflow

    # mlflow prints a "View run" link to stdout when a run ends; stdout belongs to our CLI
    # (one JSON object with --json), and the run ids are in its output anyway.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    export_credentials(settings)
    parent = project_run_id()
    # Under `mlflow run` the project run lives on the server mlflow run was pointed at.
    uri = os.environ.get("MLFLOW_TRACKING_URI") if parent else None
    if uri and uri.rstrip("/") != settings.tracking_uri.rstrip("/"):
        _warn_other_store(uri, settings.tracking_uri)
    mlflow.set_tracking_uri(uri or settings.tracking_uri)
    # The registry follows the tracking server: a registry URI set earlier in this process
    # (mlflow keeps it, and MLFLOW_REGISTRY_URI, until replaced) must not outlive it.
    mlflow.set_registry_uri(uri or settings.tracking_uri)
    if parent:  # log into the project run's experiment (start_run checks they match)
        experiment_id = str(mlflow.get_run(parent).info.experiment_id)
        mlflow.set_experiment(experiment_id=experiment_id)
        return experiment_id
    return str(mlflow.set_experiment(settings.experiment_name).experiment_id)


@functools.cache
def _warn_other_store(uri: str, expected: str) -> None:
    logger.warning("this `mlflow run` logs to %s, not to shopstream's tracking server %s: its "
                   "runs and versions will not show in that UI or be served. Set "
                   "MLFLOW_TRACKING_URI=%s before `mlflow run` (or SHOPSTREAM_MLFLOW_TRACKING_URI "
                   "to the server you mean)", uri, expected, expected)


def client(settings: Settings) -> MlflowClient:
    import mlflow
    from mlflow.tracking import MlflowClient

    configure_uri = mlflow.get_tracking_uri() if project_run_id() else None
    export_credentials(settings)
    return MlflowClient(tracking_uri=configure_uri or settings.tracking_uri)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, check=True,
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               check=False, cwd=PROJECT_ROOT, capture_output=True, text=True,
                               timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def iso_day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat()


@contextmanager
def parent_run(settings: Settings) -> Iterator[None]:
    """Resume the `mlflow run` project run when there is one, so model runs nest under it."""
    import mlflow

    configure(settings)
    run_id = project_run_id()
    if not run_id or mlflow.active_run() is not None:
        yield
        return
    os.environ.pop(PARENT_RUN_ENV, None)
    _project_run[:] = [run_id]
    try:
        with mlflow.start_run(run_id=run_id):
            yield
    finally:
        _project_run.clear()
        os.environ[PARENT_RUN_ENV] = run_id


@contextmanager
def model_run(settings: Settings, run_name: str, tags: Mapping[str, str],
              parent_run_id: str | None = None) -> Iterator[ActiveRun]:
    """A run for one model in the experiment, nested under parent_run_id or, without one,
    under this thread's active run if any. Threads have no active run of their own, so a
    model trained in a worker thread names its parent explicitly."""
    import mlflow

    experiment_id = configure(settings)
    nested = parent_run_id is not None or mlflow.active_run() is not None
    with mlflow.start_run(run_name=run_name, experiment_id=experiment_id, nested=nested,
                          parent_run_id=parent_run_id, tags=dict(tags)) as run:
        yield run


def active_run_id() -> str | None:
    """This thread's active run id (the `mlflow run` project run), None outside one."""
    import mlflow

    run = mlflow.active_run()
    return run.info.run_id if run is not None else None


def training_data(loaded: LoadedEvents, bounds: tuple[int, int]) -> TrainingData:
    """What a run read, in the words of its name, tags and version description."""
    info = loaded.description
    rows = info.get("rows")
    return TrainingData(
        kind=str(info.get("kind", "batches")), batches=loaded.batches,
        date_from=iso_day(bounds[0]), date_to=iso_day(bounds[1]),
        rows=int(rows) if rows is not None else None, file=str(info.get("file", "")),
        location=str(info.get("location", "")))


def data_tags(loaded: LoadedEvents, bounds: tuple[int, int]) -> dict[str, str]:
    """A run's tags: the data range and source, the code, the data's digest."""
    return {
        **training_data(loaded, bounds).tags(),
        "git_commit": git_commit(),
        "data_digest": loaded.digest,
        "data_kind": str(loaded.description.get("kind", "")),
    }


def log_input_dataset(loaded: LoadedEvents, name: str) -> None:
    """The input batches as an MLflow dataset (source = their common prefix, batch digest)."""
    import mlflow
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    uris = [u.replace("s3a://", "s3://", 1) for u in loaded.source_uris]
    prefix = uris[0]
    if len(uris) > 1:  # the folder all batch objects share
        parents = {u.rsplit("/", 1)[0] for u in uris}
        prefix = (parents.pop() if len(parents) == 1 else uris[0].rsplit("/", 2)[0]) + "/"
    try:
        source = resolve_dataset_source(prefix)
    except Exception:  # an unusual scheme: fall back to a plain URI source
        from mlflow.data.http_dataset_source import HTTPDatasetSource

        source = HTTPDatasetSource(url=prefix)
    dataset = MetaDataset(source=source, name=name, digest=loaded.digest)  # type: ignore[abstract]
    with _DATASET_LOCK:
        mlflow.log_input(dataset, context="training", tags={"batches": loaded.batches})
    mlflow.log_text(json.dumps({"batches": loaded.batches, "uris": loaded.source_uris},
                               indent=1), "inputs/sources.json")


def finite_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in metrics.items():
        if isinstance(value, int | float) and math.isfinite(float(value)):
            out[key] = float(value)
    return out


def log_params_flat(params: Mapping[str, Any]) -> None:
    import mlflow

    mlflow.log_params({k: (json.dumps(v) if isinstance(v, list | tuple | dict) else v)
                       for k, v in params.items()})


def register_version(settings: Settings, model_uri: str, name: str, run_id: str,
                     tags: Mapping[str, str], description: str = "") -> str:
    """Register `model_uri` as a new version of `name` with `tags` and `description`. Metrics
    stay on the run (the version links to it): tags are what a person filters versions on."""
    import mlflow

    version = mlflow.register_model(model_uri, name, tags={"run_id": run_id})
    mlflow_client = client(settings)
    for key, value in {**tags, "run_id": run_id}.items():
        mlflow_client.set_model_version_tag(name, version.version, key, str(value))
    if description:
        mlflow_client.update_model_version(name, version.version, description=description)
    logger.info("registered %s version %s", name, version.version)
    return str(version.version)


def champion_version(settings: Settings, name: str) -> str | None:
    """The version holding the `production` alias, None when none does (or no such model)."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client(settings).get_model_version_by_alias(name, PRODUCTION_ALIAS).version)
    except MlflowException:
        return None


def version_run_id(settings: Settings, name: str, version: str) -> str | None:
    """The training run of a registered version (its ``run_id`` tag, else its source run)."""
    mv = client(settings).get_model_version(name, version)
    return mv.tags.get("run_id") or mv.run_id or None


def describe_model(settings: Settings, name: str, description: str) -> None:
    """Set the registered model's description (when it differs: every run registers)."""
    mlflow_client = client(settings)
    if mlflow_client.get_registered_model(name).description != description:
        mlflow_client.update_registered_model(name, description=description)


def _ui_base(settings: Settings) -> str:
    import mlflow

    return mlflow.get_tracking_uri() if project_run_id() else settings.tracking_uri


def run_link(settings: Settings, experiment_id: str, run_id: str) -> str:
    """The run's page in the MLflow UI (the training-runs view)."""
    return run_url(_ui_base(settings), experiment_id, run_id)


def version_link(settings: Settings, name: str, version: str) -> str:
    """A registered version's page in the MLflow UI."""
    return model_version_url(_ui_base(settings), name, version)
