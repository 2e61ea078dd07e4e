"""MLflow on PostgreSQL with basic auth: credentials are required, and a restart of the tracking
server and of PostgreSQL loses no run, version or alias while the router keeps serving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from infra import stack
from infra.cluster import ClusterMlflowService
from infra.postgres import PostgresService
from serving.config import ROLES
from serving.sample_models import register_sample
from shopstream.settings import Settings
from tests.conftest import unique
from tests.integration.cluster.conftest import Cluster
from tests.integration.serving.conftest import Router, start_router, stop_router

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

SEARCH = "/api/2.0/mlflow/experiments/search"
BUYER = {"visitorid_to_identify": 1, "num_views": 12, "num_addtocart": 3,
         "distinct_items_interacted": 4}


def test_requests_without_credentials_are_refused(cluster: Cluster) -> None:
    s = cluster.settings
    url, params = f"{s.tracking_uri}{SEARCH}", {"max_results": 1}
    assert httpx.get(url, params=params, timeout=10).status_code == 401
    user, password = s.mlflow_credentials or ("", "")
    assert httpx.get(url, params=params, auth=(user, password + "x"),
                     timeout=10).status_code == 401
    ok = httpx.get(url, params=params, auth=(user, password), timeout=10)
    assert ok.status_code == 200, ok.text
    assert "experiments" in ok.json()


def _client(settings: Settings) -> Any:
    from mlflow.tracking import MlflowClient

    from shopstream.mlflow_links import export_credentials

    export_credentials(settings)
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


def _registry_state(settings: Settings, names: dict[str, str]) -> dict[str, Any]:
    """Every version, its run (status, params, metrics) and every alias of the named models."""
    client = _client(settings)
    state: dict[str, Any] = {}
    for name in names.values():
        versions = sorted(client.search_model_versions(f"name='{name}'"),
                          key=lambda v: int(v.version))
        runs = {v.run_id: client.get_run(v.run_id) for v in versions}
        state[name] = {
            "versions": [(v.version, v.run_id, dict(v.tags)) for v in versions],
            "aliases": dict(client.get_registered_model(name).aliases),
            "runs": {rid: (r.info.status, r.data.params, r.data.metrics)
                     for rid, r in runs.items()},
        }
    return state


def _serves(router: Router) -> bool:
    response = httpx.post(f"{router.url}/predict-transaction", json=BUYER, timeout=30)
    return response.status_code == 200 and "probability" in response.json()


def _serving_across(action: Callable[[], object], router: Router, what: str) -> None:
    """Run action; the router answers a prediction before and after it."""
    assert _serves(router), f"the router did not answer before {what}"
    action()
    assert _serves(router), f"the router did not answer after {what}"


def test_restarting_mlflow_and_postgres_keeps_runs_versions_aliases_and_serving(
        cluster: Cluster) -> None:
    s = cluster.settings
    names = {role: unique(f"cluster-{role}") for role in ROLES}
    versions = {role: register_sample(s, role, names[role]) for role in ROLES}
    # a second version of one model, its alias moved back to the first: aliases are data too
    register_sample(s, ROLES[0], names[ROLES[0]], alias=None)
    router = start_router(s, names, versions, extra_env=cluster.env)
    try:
        assert router.wait_ok()["status"] == "ok"
        before = _registry_state(s, names)
        assert len(before[names[ROLES[0]]]["versions"]) == 2
        mlflow, postgres = ClusterMlflowService(s), PostgresService(s)
        _serving_across(lambda: stack.stop(mlflow), router, "MLflow stopped")
        _serving_across(lambda: stack.stop(postgres), router, "PostgreSQL stopped")
        assert not stack.service_status(mlflow).running
        assert not stack.service_status(postgres).running
        _serving_across(lambda: stack.up(s, ["postgres", "mlflow"]), router, "both restarted")
        assert _registry_state(s, names) == before
        assert router.wait_ok()["status"] == "ok"
        assert _serves(router)
    finally:
        stop_router(router)
