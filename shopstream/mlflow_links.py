"""Links into the MLflow UI that open on the training runs, never on the GenAI view.

MLflow 3's UI (3.17 here) picks its view from the URL's ``workflowType`` query parameter, else
from the browser's stored choice, and defaults to GenAI: an experiment page then shows an
empty traces overview and the sidebar hides the model registry. Every link the project prints
or writes is built by :func:`ui_url`, which always asks for ``machine_learning``. The UI routes
with a hash (``/#/experiments/1/runs``), so the query goes after the hash path.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import quote

from shopstream.settings import Settings

logger = logging.getLogger(__name__)

WORKFLOW_PARAM = "workflowType"
MACHINE_LEARNING = "machine_learning"


def ui_url(tracking_uri: str, *parts: str) -> str:
    """``<tracking>/#/<parts…>?workflowType=machine_learning``; each part is URL-quoted."""
    path = "/".join(quote(str(p), safe="") for p in parts)
    return f"{tracking_uri.rstrip('/')}/#/{path}?{WORKFLOW_PARAM}={MACHINE_LEARNING}"


def experiment_url(tracking_uri: str, experiment_id: str) -> str:
    """The experiment's runs table."""
    return ui_url(tracking_uri, "experiments", experiment_id, "runs")


def experiments_url(tracking_uri: str) -> str:
    """The list of experiments (when the experiment's id is not known)."""
    return ui_url(tracking_uri, "experiments")


def run_url(tracking_uri: str, experiment_id: str, run_id: str) -> str:
    return ui_url(tracking_uri, "experiments", experiment_id, "runs", run_id)


def model_url(tracking_uri: str, name: str) -> str:
    return ui_url(tracking_uri, "models", name)


def model_version_url(tracking_uri: str, name: str, version: str) -> str:
    return ui_url(tracking_uri, "models", name, "versions", version)


def export_credentials(settings: Settings) -> None:
    """Put the tracking server's credentials where MLflow's client library (and every process
    started from this one: `mlflow models serve`, `mlflow run`) reads them."""
    os.environ.update(settings.mlflow_env())


def experiment_link(settings: Settings, timeout_s: float = 3.0) -> str:
    """The runs page of the configured experiment (asked of the tracking server by name); the
    experiments list when the server does not know it or does not answer."""
    import httpx

    try:
        response = httpx.get(
            f"{settings.tracking_uri.rstrip('/')}/api/2.0/mlflow/experiments/get-by-name",
            params={"experiment_name": settings.experiment_name}, timeout=timeout_s,
            auth=settings.mlflow_credentials)
        if response.status_code == 200:
            return experiment_url(settings.tracking_uri,
                                  str(response.json()["experiment"]["experiment_id"]))
    except (httpx.HTTPError, ValueError, KeyError) as e:
        logger.debug("experiment %s not found at %s: %s", settings.experiment_name,
                     settings.tracking_uri, e)
    return experiments_url(settings.tracking_uri)
