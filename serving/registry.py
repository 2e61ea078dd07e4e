"""Read-only view of the MLflow registry: which version holds the production alias, and its tags."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)

DATA_RANGE_TAGS = ("batches", "date_from", "date_to")
META_TAGS = ("git_commit", "run_id", "threshold", *DATA_RANGE_TAGS)
PROMOTION_PREFIX = "promotion_"  # the promotion step's decision record, not model quality


@dataclass(frozen=True)
class ProductionVersion:
    """One registered version as serving needs it."""

    name: str
    version: str
    run_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        """Pinned by number, so the server loads exactly the version the watcher saw."""
        return f"models:/{self.name}/{self.version}"

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
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

    def __init__(self, tracking_uri: str, alias: str) -> None:
        self.tracking_uri = tracking_uri
        self.alias = alias
        self._client: MlflowClient | None = None

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            uri = self.tracking_uri
            self._client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        return self._client

    def production(self, name: str) -> ProductionVersion | None:
        """The version holding the alias, or None when the model or alias does not exist."""
        try:
            mv = self.client.get_model_version_by_alias(name, self.alias)
        except MlflowException as e:
            logger.debug("no %s@%s: %s", name, self.alias, e)
            return None
        return ProductionVersion(
            name=name, version=str(mv.version), run_id=mv.run_id, tags=dict(mv.tags or {})
        )
