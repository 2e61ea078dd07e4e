"""Scoring servers as the supervisor sees them: their environment, the readiness probe, and
the `mlflow models serve` launcher of the ``mlflow-serve`` layout (serving/hosts.py has the
scoring hosts of the default layouts)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from infra.process import die_with_parent, port_open, tail, terminate
from serving.config import ServingConfig, venv_bin
from serving.errors import ScoringServerError
from serving.registry import ProductionVersion
from serving.transport import Transport, TransportError
from shopstream.contracts import (
    INVOCATIONS_KEY,
    MODEL_IO,
    RECOMMENDER,
    REQUIRED_SESSION_FEATURES,
    SCORING_SERVER_ENV,
    TRANSACTION_PREDICTOR,
    USER_SEGMENTATION,
)
from shopstream.settings import Settings

if TYPE_CHECKING:
    from serving.hosts import Child

logger = logging.getLogger(__name__)

# A real row per role, sent once before a server is put behind the router (its columns are
# the contract's, in the contract's order; the predictor's required ones).
SAMPLE_ROWS: dict[str, dict[str, Any]] = {
    RECOMMENDER: dict(zip(MODEL_IO[RECOMMENDER].input_names, ("visitor", -1, "[]", 1, False),
                          strict=True)),
    TRANSACTION_PREDICTOR: dict(zip(REQUIRED_SESSION_FEATURES, (1, 0, 1), strict=True)),
    USER_SEGMENTATION: dict(zip(MODEL_IO[USER_SEGMENTATION].input_names,
                                (-1, 2, 2, 0, 0, 1.0, 0.0, 0.0), strict=True)),
}


def scoring_env(settings: Settings, workers: int) -> dict[str, str]:
    """Environment of a scoring server: tracking URI, object store keys, venv bin first on PATH."""
    env = dict(os.environ)
    env.update(settings.aws_env())
    env["MLFLOW_TRACKING_URI"] = settings.tracking_uri
    env.update(settings.mlflow_env())  # `mlflow models serve` downloads the model as this user
    env["MLFLOW_MODELS_WORKERS"] = str(workers)
    env[SCORING_SERVER_ENV] = "1"  # the pyfuncs settle the GC after loading (settle_gc)
    env["PATH"] = f"{venv_bin()}{os.pathsep}{env.get('PATH', '')}"
    # mlflow execs uvicorn; these reach it through uvicorn's UVICORN_* option variables.
    env["UVICORN_ACCESS_LOG"] = "false"  # a log line per request costs the servers CPU
    env["UVICORN_TIMEOUT_KEEP_ALIVE"] = "75"  # longer than the router's pool keeps a socket
    # One BLAS thread per worker: the servers share a few cores with the router.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


class ScoringServer(Protocol):
    """What a supervisor needs of a started scoring server, whoever runs it."""

    role: str
    model: ProductionVersion
    port: int
    started_at: float

    @property
    def url(self) -> str: ...

    @property
    def pid(self) -> int: ...

    @property
    def proc(self) -> Child: ...

    @property
    def log_file(self) -> Path: ...

    def alive(self) -> bool: ...

    def log_tail(self, lines: int = 15) -> str: ...

    def stop(self, timeout: float = 10.0) -> None: ...


@dataclass
class ScoringProcess:
    """A started scoring server serving one model version on one port."""

    role: str
    model: ProductionVersion
    host: str
    port: int
    proc: subprocess.Popen[bytes]
    log_file: Path
    started_at: float

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        return tail(self.log_file, lines)

    def stop(self, timeout: float = 10.0) -> None:
        if self.alive():
            terminate(self.proc.pid, timeout=timeout)
        self.proc.wait(timeout=5)


def launch(
    role: str,
    model: ProductionVersion,
    port: int,
    settings: Settings,
    config: ServingConfig,
    env: Mapping[str, str] | None = None,
) -> ScoringProcess:
    """Start `mlflow models serve` for model on port. Call from the event-loop thread."""
    if port_open(config.scoring_host, port):
        msg = (
            f"port {port} for the {role} scoring server is already in use; stop what holds it "
            f"or set SHOPSTREAM_SCORING_BASE_PORT to a free range"
        )
        raise ScoringServerError(msg)
    argv = [
        *die_with_parent(), str(venv_bin() / "mlflow"), "models", "serve", "-m", model.uri,
        "--env-manager", "local", "--host", config.scoring_host, "--port", str(port),
        "--workers", str(config.scoring_workers),
    ]
    log_dir = config.logs(settings)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"{model.name}-v{model.version}-{port}.log"
    full_env = dict(env) if env is not None else scoring_env(settings, config.scoring_workers)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=full_env, start_new_session=True,
        )
    logger.info("started %s v%s scoring server on :%d (pid %d)", model.name, model.version,
                port, proc.pid)
    return ScoringProcess(role, model, config.scoring_host, port, proc, log_file, time.time())


async def probe(server: ScoringServer, client: Transport) -> bool:
    """True when /ping answers and a real one-row /invocations returns one prediction."""
    try:
        if await client.get(f"{server.url}/ping", timeout=2.0) != 200:
            return False
        body = {INVOCATIONS_KEY: [SAMPLE_ROWS[server.role]]}
        status, raw = await client.post_json(f"{server.url}/invocations", body, timeout=10.0)
    except TransportError:
        return False
    if status != 200:
        logger.warning("%s sample invocation answered %d: %s", server.role, status,
                       raw[:300].decode("utf-8", "replace"))
        return False
    try:
        preds = json.loads(raw).get("predictions")
    except (ValueError, AttributeError):
        return False
    return isinstance(preds, list) and len(preds) == 1


async def wait_ready(server: ScoringServer, client: Transport, timeout: float) -> None:
    """Wait until the server answers for real; raise ScoringServerError when it dies or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            msg = (
                f"{server.role} scoring server ({server.model.uri}) exited with code "
                f"{server.proc.returncode}. Log {server.log_file}:\n{server.log_tail()}"
            )
            raise ScoringServerError(msg)
        if await probe(server, client):
            logger.info("%s v%s ready on :%d after %.1fs", server.model.name,
                        server.model.version, server.port, time.time() - server.started_at)
            return
        await asyncio.sleep(0.25)
    await asyncio.to_thread(server.stop)
    msg = (
        f"{server.role} scoring server ({server.model.uri}) did not answer within {timeout:.0f}s."
        f" Log {server.log_file}:\n{server.log_tail()}"
    )
    raise ScoringServerError(msg)
