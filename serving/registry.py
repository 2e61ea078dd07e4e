"""Read-only view of the MLflow registry: which version holds the production alias, its tags
and its training run's metrics.

Against a tracking server (http/https URI) it asks the REST API directly, so the router never
imports mlflow (~150 MB of resident memory); other URIs (a local file or database store) go
through MlflowClient. Versions carry no metric tags (their run holds the metrics), so a
version's run metrics are read once per run and kept: a finished run's metrics do not change.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from serving.errors import ServingError

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)
ALIAS_PATH = "/api/2.0/mlflow/registered-models/alias"
RUN_PATH = "/api/2.0/mlflow/runs/get"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local servers

DATA_RANGE_TAGS = ("batches", "date_from", "date_to")
META_TAGS = ("git_commit", "run_id", "threshold", "data_source", "model_type", "rows",
             *DATA_RANGE_TAGS)
PROMOTION_PREFIX = "promotion_"  # the promotion step's decision record, not model quality


@dataclass(frozen=True)
class ProductionVersion:
    """One registered version as serving needs it."""

    name: str
    version: str
    run_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_metrics: dict[str, float] = field(default_factory=dict)  # the training run's

    @property
    def uri(self) -> str:
        """Pinned by number, so the server loads exactly the version the watcher saw."""
        return f"models:/{self.name}/{self.version}"

    def metrics(self) -> dict[str, float]:
        """The run's metrics, then any numeric tag (a version registered by hand)."""
        out: dict[str, float] = dict(self.run_metrics)
        for key, value in self.tags.items():
            if key in META_TAGS or key.startswith(PROMOTION_PREFIX):
                continue
            try:
                out[key.removeprefix("metric.")] = float(value)
            except ValueError:
                continue
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id or self.tags.get("run_id"),
            "metrics": self.metrics(),
            "data_range": {k: self.tags.get(k) for k in DATA_RANGE_TAGS},
            "git_commit": self.tags.get("git_commit"),
            "promotion": {k.removeprefix(PROMOTION_PREFIX): v for k, v in self.tags.items()
                          if k.startswith(PROMOTION_PREFIX)},
            "tags": dict(self.tags),
        }


class RegistryReader:
    """Asks the registry for a model's aliased version. Blocking: call it from a thread."""

    def __init__(self, tracking_uri: str, alias: str, timeout_s: float = 10.0,
                 credentials: tuple[str, str] | None = None) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self.alias = alias
        self.timeout_s = timeout_s
        self.credentials = credentials  # basic auth of the tracking server, if it needs any
        self._client: MlflowClient | None = None
        self._run_metrics: dict[str, dict[str, float]] = {}  # run id → its metrics

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            if self.credentials is not None:  # MLflow's client reads them from the env
                os.environ["MLFLOW_TRACKING_USERNAME"] = self.credentials[0]
                os.environ["MLFLOW_TRACKING_PASSWORD"] = self.credentials[1]
            uri = self.tracking_uri
            self._client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        return self._client

    @property
    def over_rest(self) -> bool:
        return self.tracking_uri.startswith(("http://", "https://"))

    def production(self, name: str) -> ProductionVersion | None:
        """The version holding the alias, or None when the model or alias does not exist."""
        found = self._over_rest(name) if self.over_rest else self._over_client(name)
        if found is None:
            return None
        run_id = found.run_id or found.tags.get("run_id")
        return dataclasses.replace(found, run_metrics=self.run_metrics(run_id))

    def _over_client(self, name: str) -> ProductionVersion | None:
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version_by_alias(name, self.alias)
        except MlflowException as e:
            logger.debug("no %s@%s: %s", name, self.alias, e)
            return None
        return ProductionVersion(
            name=name, version=str(mv.version), run_id=mv.run_id, tags=dict(mv.tags or {})
        )

    def run_metrics(self, run_id: str | None) -> dict[str, float]:
        """The run's latest metric values; {} (asked again next time) when it cannot be read."""
        if not run_id:
            return {}
        if run_id not in self._run_metrics:
            try:
                self._run_metrics[run_id] = (self._run_metrics_over_rest(run_id)
                                             if self.over_rest
                                             else dict(self.client.get_run(run_id).data.metrics))
            except Exception as e:  # metrics are informative: never fail a round for them
                logger.debug("metrics of run %s not read: %s", run_id, e)
                return {}
        return dict(self._run_metrics[run_id])

    def _run_metrics_over_rest(self, run_id: str) -> dict[str, float]:
        url = f"{self.tracking_uri}{RUN_PATH}?{urllib.parse.urlencode({'run_id': run_id})}"
        with _NO_PROXY.open(self._request(url), timeout=self.timeout_s) as resp:
            body = json.loads(resp.read())
        metrics = ((body.get("run") or {}).get("data") or {}).get("metrics") or []
        return {str(m["key"]): float(m["value"]) for m in metrics if "value" in m}

    def _request(self, url: str) -> urllib.request.Request:
        request = urllib.request.Request(url)
        if self.credentials is not None:
            token = base64.b64encode(":".join(self.credentials).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        return request

    def _over_rest(self, name: str) -> ProductionVersion | None:
        query = urllib.parse.urlencode({"name": name, "alias": self.alias})
        url = f"{self.tracking_uri}{ALIAS_PATH}?{query}"
        try:
            with _NO_PROXY.open(self._request(url), timeout=self.timeout_s) as resp:
                body = json.loads(resp.read())
        except urllib.error.HTTPError as e:
            if e.code in (400, 404):  # RESOURCE_DOES_NOT_EXIST / INVALID_PARAMETER_VALUE
                logger.debug("no %s@%s: %s", name, self.alias, e)
                return None
            msg = f"the registry at {self.tracking_uri} answered {e.code} for {name}@{self.alias}"
            raise RegistryUnavailableError(msg) from e
        except (OSError, ValueError) as e:
            msg = (f"the registry at {self.tracking_uri} could not be asked for "
                   f"{name}@{self.alias} ({e}); is the tracking server up?")
            raise RegistryUnavailableError(msg) from e
        return version_from_json(name, body.get("model_version") or {})


class RegistryUnavailableError(ServingError):
    """The tracking server did not answer; the supervisors retry on their next round."""


def version_from_json(name: str, mv: dict[str, Any]) -> ProductionVersion | None:
    """A ProductionVersion from the REST API's ModelVersion object."""
    if "version" not in mv:
        return None
    tags = {str(t["key"]): str(t.get("value", "")) for t in mv.get("tags") or []}
    return ProductionVersion(name=name, version=str(mv["version"]), run_id=mv.get("run_id"),
                             tags=tags)
