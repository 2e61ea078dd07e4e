"""Serving integration fixtures: sample pyfuncs registered under unique names in the real
registry, and a real `shopstream serve` (router + scoring host with MLflow's scoring app per
model) on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from serving.config import ROLES
from serving.launch import read_summary, serve_argv
from serving.sample_models import register_sample
from shopstream.settings import Settings
from tests.conftest import port_is_free

VENV_BIN = Path(sys.executable).parent
SERVE_TIMEOUT_S = 240.0


def free_port_block(n: int) -> int:
    """The first port of n consecutive free ports (random start, so parallel runs differ)."""
    import random

    for _ in range(200):
        base = random.randint(20000, 32000)  # below the ephemeral range
        if all(port_is_free(base + i) for i in range(n)):
            return base
    msg = f"no block of {n} free ports found"
    raise RuntimeError(msg)


def _unique(prefix: str) -> str:
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Router:
    url: str
    proc: subprocess.Popen[str]
    names: dict[str, str]
    versions: dict[str, str]
    summary: dict[str, Any] = field(default_factory=dict)

    def health(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/health", timeout=5).json())

    def wait_ok(self, timeout: float = 180.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            body = self.health()
            if body["status"] == "ok":
                return body
            time.sleep(0.5)
        pytest.fail(f"router not ok after {timeout}s: {body}")


def start_router(settings: Settings, names: dict[str, str], versions: dict[str, str],
                 extra_env: dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> Router:
    port = free_port_block(1)
    base = free_port_block(6)
    argv = serve_argv(VENV_BIN, port, base, names, extra=("--poll-interval", "1", *extra))
    env = {**os.environ, **(extra_env or {}),
           "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    router = Router(f"http://127.0.0.1:{port}", proc, names, versions)
    router.summary = read_summary(proc, SERVE_TIMEOUT_S) or {}
    if not router.summary:
        stop_router(router)
        pytest.fail(f"shopstream serve gave no JSON summary in {SERVE_TIMEOUT_S}s")
    return router


def stop_router(router: Router) -> None:
    if router.proc.poll() is None:
        os.killpg(router.proc.pid, signal.SIGTERM)
        try:
            router.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(router.proc.pid, signal.SIGKILL)
            router.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def sample_models(live_stack: Settings) -> tuple[dict[str, str], dict[str, str]]:
    """Three freshly registered models (unique names), each at alias production."""
    names = {role: _unique(f"test-{role}") for role in ROLES}
    versions = {role: register_sample(live_stack, role, names[role]) for role in ROLES}
    return names, versions


@pytest.fixture
def router_factory(live_stack: Settings) -> Iterator[Any]:
    """start(names, versions, extra=(...)) → Router; every router started is stopped after."""
    started: list[Router] = []

    def start(names: dict[str, str], versions: dict[str, str],
              extra: tuple[str, ...] = ()) -> Router:
        r = start_router(live_stack, names, versions, extra=extra)
        started.append(r)
        return r

    yield start
    for r in started:
        stop_router(r)


@pytest.fixture(scope="session")
def router(live_stack: Settings,
           sample_models: tuple[dict[str, str], dict[str, str]]) -> Iterator[Router]:
    names, versions = sample_models
    r = start_router(live_stack, names, versions)
    try:
        yield r
    finally:
        stop_router(r)
