"""The router's side of the scoring hosts (serving/scoring_host.py): start them, load models.

Layouts (ServingConfig.scoring_layout):
- ``shared``: one scoring host serves every model, each on its own port (the default: mlflow,
  pandas and numpy are in memory once, not three times);
- ``per-model``: one scoring host per model (a crash takes one model down, not three).

A HostedModel looks to the supervisor like any scoring server: url, alive(), stop(). It is
alive while its host process is; when the host dies, every supervisor whose model it held sees
its model die, and the first one to restart starts a fresh host for all of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from infra.process import tail, terminate
from serving.errors import ScoringServerError
from serving.registry import ProductionVersion
from serving.transport import TransportError

if TYPE_CHECKING:
    from serving.transport import Transport

logger = logging.getLogger(__name__)

SHARED = "shared"
PER_MODEL = "per-model"
MLFLOW_SERVE = "mlflow-serve"  # one `mlflow models serve` per model (the earlier layout)
LAYOUTS = (SHARED, PER_MODEL, MLFLOW_SERVE)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Child(Protocol):
    """What serving needs of a child process: subprocess.Popen, or an Adopted one."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class Adopted:
    """A child started before this process exec'd itself (same pid, so still our child):
    Popen's poll/wait over os.waitpid."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: it is gone, code unknown
                self.returncode = -1
            else:
                if done:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0.0)
            time.sleep(0.05)
        return code


@dataclass
class HostProcess:
    """One started `python -m serving.scoring_host`."""

    key: str
    proc: Child
    log_file: Path
    control_file: Path
    control_url: str = ""
    started_at: float = field(default_factory=time.time)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        return tail(self.log_file, lines)

    def stop(self, timeout: float = 10.0) -> None:
        if self.alive():
            terminate(self.proc.pid, timeout=timeout)
        self.proc.wait(timeout=5)
        self.control_file.unlink(missing_ok=True)


@dataclass
class HostedModel:
    """One model version served by a scoring host on one port (the supervisor's server)."""

    role: str
    model: ProductionVersion
    host: str
    port: int
    owner: HostProcess
    started_at: float = field(default_factory=time.time)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def proc(self) -> Child:
        return self.owner.proc

    @property
    def pid(self) -> int:
        return self.owner.proc.pid

    @property
    def log_file(self) -> Path:
        return self.owner.log_file

    def alive(self) -> bool:
        return self.owner.alive()

    def log_tail(self, lines: int = 15) -> str:
        return self.owner.log_tail(lines)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving this port (the host and its other models keep running). Blocking."""
        if not self.owner.alive() or not self.owner.control_url:
            return
        req = urllib.request.Request(f"{self.owner.control_url}/models/{self.port}",
                                     method="DELETE")
        try:
            with _NO_PROXY.open(req, timeout=timeout):
                pass
        except OSError as e:  # 404 (already gone) or the host died meanwhile
            logger.info("unloading :%d from host %s: %s", self.port, self.owner.key, e)


def host_keys(layout: str, roles: Sequence[str]) -> list[str]:
    """The hosts a layout runs: one for all roles, or one per role."""
    return ["all"] if layout == SHARED else list(roles)


def spawn_host(key: str, env: Mapping[str, str], log_dir: Path,
               host: str = "127.0.0.1") -> HostProcess:
    """Start `python -m serving.scoring_host` (returns at once; it listens a few s later).
    Downloaded model versions are kept under log_dir/models."""
    from infra.process import die_with_parent

    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"scoring-host-{key}.log"
    control_file = log_dir / f"scoring-host-{key}-{os.getpid()}.json"
    control_file.unlink(missing_ok=True)
    argv = [*die_with_parent(), sys.executable, "-m", "serving.scoring_host",
            "--control-file", str(control_file), "--host", host,
            "--parent-pid", str(os.getpid()), "--cache-dir", str(log_dir / "models")]
    with log_file.open("ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=dict(env),
                                start_new_session=True)
    logger.info("started scoring host %s (pid %d), log %s", key, proc.pid, log_file)
    return HostProcess(key, proc, log_file, control_file)


def host_spec(host: HostProcess) -> dict[str, Any]:
    """A started host as JSON, to hand it over across exec (see adopt_host)."""
    return {"key": host.key, "pid": host.proc.pid, "log_file": str(host.log_file),
            "control_file": str(host.control_file)}


def adopt_host(spec: dict[str, Any]) -> HostProcess:
    return HostProcess(str(spec["key"]), Adopted(int(spec["pid"])), Path(spec["log_file"]),
                       Path(spec["control_file"]))


class HostPool:
    """Starts scoring hosts on demand (one per key) and loads models into them."""

    def __init__(self, env: Mapping[str, str], log_dir: Path, client: Transport, *,
                 layout: str = SHARED, host: str = "127.0.0.1",
                 startup_timeout_s: float = 120.0,
                 started: Mapping[str, HostProcess] | None = None) -> None:
        if layout not in (SHARED, PER_MODEL):
            msg = f"scoring layout {layout!r} is not served by scoring hosts"
            raise ValueError(msg)
        self.env = dict(env)
        self.log_dir = log_dir
        self.client = client
        self.layout = layout
        self.host = host
        self.startup_timeout_s = startup_timeout_s
        self.hosts: dict[str, HostProcess] = dict(started or {})
        self._locks: dict[str, asyncio.Lock] = {}

    def key(self, role: str) -> str:
        return host_keys(self.layout, [role])[0]

    async def host_for(self, role: str) -> HostProcess:
        """The running host for role, started (and waited for) when there is none."""
        key = self.key(role)
        async with self._locks.setdefault(key, asyncio.Lock()):
            current = self.hosts.get(key)
            if current is not None and current.alive():
                if not current.control_url:  # spawned early (serving.main), not waited for
                    await self._wait_control(current)
                return current
            if current is not None:
                logger.warning("scoring host %s (pid %d) exited with %s; starting another",
                               key, current.proc.pid, current.proc.returncode)
                current.control_file.unlink(missing_ok=True)
            started = spawn_host(key, self.env, self.log_dir, self.host)
            self.hosts[key] = started
            await self._wait_control(started)
            return started

    async def _wait_control(self, host: HostProcess) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if not host.alive():
                msg = (f"scoring host {host.key} exited with code {host.proc.returncode} "
                       f"before it listened. Log {host.log_file}:\n{host.log_tail()}")
                raise ScoringServerError(msg)
            if host.control_file.exists():
                info = json.loads(host.control_file.read_text())
                host.control_url = f"http://{self.host}:{int(info['port'])}"
                return
            await asyncio.sleep(0.05)
        await asyncio.to_thread(host.stop)
        msg = (f"scoring host {host.key} did not listen within {self.startup_timeout_s:.0f}s. "
               f"Log {host.log_file}:\n{host.log_tail()}")
        raise ScoringServerError(msg)

    async def launch(self, role: str, model: ProductionVersion, port: int) -> HostedModel:
        """Load model into role's host on port; returns once it listens there."""
        host = await self.host_for(role)
        from serving.scoring_host import cache_key  # light: its heavy imports are lazy

        body = {"uri": model.uri, "role": role, "port": port,
                "cache_key": cache_key(model.name, model.version, model.run_id)}
        try:
            status, raw = await self.client.post_json(f"{host.control_url}/models", body,
                                                      timeout=self.startup_timeout_s)
        except TransportError as e:
            msg = (f"scoring host {host.key} did not load {model.uri}: {e}. "
                   f"Log {host.log_file}:\n{host.log_tail()}")
            raise ScoringServerError(msg) from e
        if status != 200:
            detail = raw[:2000].decode("utf-8", "replace")
            msg = (f"scoring host {host.key} could not load {model.uri} on :{port}: {detail}. "
                   f"Log {host.log_file}")
            raise ScoringServerError(msg)
        logger.info("%s v%s loaded into scoring host %s on :%d", model.name, model.version,
                    host.key, port)
        return HostedModel(role, model, self.host, port, host)

    def close(self) -> None:
        """Stop every host (blocking)."""
        for host in self.hosts.values():
            host.stop()
        self.hosts.clear()
