"""Serving's own options (model names, ports, batching), derived from Settings plus CLI flags."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from shopstream.contracts import MODEL_NAMES, PRODUCTION_ALIAS
from shopstream.settings import Settings

# The served models (roles), in port order; their names and I/O are the contracts'.
ROLES: tuple[str, ...] = MODEL_NAMES
MAX_BODY_BYTES = 64 * 1024


def venv_bin() -> Path:
    """The folder of the running interpreter: `mlflow` and `uvicorn` live beside it."""
    return Path(sys.executable).parent


@dataclass(frozen=True)
class ServingConfig:
    """Everything `shopstream serve` needs beyond Settings. Defaults suit a 2-core machine."""

    model_names: dict[str, str] = field(default_factory=lambda: {r: r for r in ROLES})
    alias: str = PRODUCTION_ALIAS
    scoring_base_port: int = 5101
    scoring_host: str = "127.0.0.1"
    scoring_workers: int = 1
    # shared: one scoring host for every model; per-model: one host each; mlflow-serve: one
    # `mlflow models serve` each (the earlier layout). See serving/hosts.py.
    scoring_layout: str = "shared"
    poll_interval_s: float = 2.0
    startup_timeout_s: float = 120.0
    drain_timeout_s: float = 30.0
    max_batch: int = 64
    max_concurrent_batches: int = 1
    upstream_timeout_s: float = 10.0
    max_body_bytes: int = MAX_BODY_BYTES
    log_dir: Path | None = None

    def name_of(self, role: str) -> str:
        return self.model_names[role]

    def ports_for(self, role: str) -> tuple[int, int]:
        """(primary, alternate) port of a role: base+i and base+len(ROLES)+i, for blue/green."""
        i = ROLES.index(role)
        return self.scoring_base_port + i, self.scoring_base_port + len(ROLES) + i

    def logs(self, settings: Settings) -> Path:
        return self.log_dir or settings.services_dir / "scoring"


def build_config(settings: Settings, **overrides: object) -> ServingConfig:
    """A ServingConfig from settings; None-valued overrides are ignored.

    Model names can come from `names={RECOMMENDER: "..."}` or SHOPSTREAM_SERVING_<ROLE>_MODEL.
    """
    names = {r: os.environ.get(f"SHOPSTREAM_SERVING_{r.upper()}_MODEL", r) for r in ROLES}
    given = overrides.pop("names", None)
    if isinstance(given, dict):
        names.update({k: str(v) for k, v in given.items() if v})
    clean = {k: v for k, v in overrides.items() if v is not None}
    clean.setdefault("scoring_base_port", settings.scoring_base_port)
    return ServingConfig(model_names=names, **clean)  # type: ignore[arg-type]
