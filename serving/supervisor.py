"""Keeps one scoring server per model at its production version: start, restart, blue/green.

Each ModelSupervisor loops every poll interval: it asks the registry which version holds the
alias, starts a server when there is none, restarts it when it died (the router answers 503
for that model meanwhile), and when the alias moved it starts the new version on the spare
port, waits until it answers a real /invocations, switches the Upstream atomically, drains
the old server's in-flight batches and only then stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from serving import scoring
from serving.config import ServingConfig
from serving.errors import ScoringServerError, ServingError
from serving.hosts import MLFLOW_SERVE, HostPool, HostProcess
from serving.registry import ProductionVersion, RegistryReader
from serving.scoring import ScoringProcess, ScoringServer
from serving.transport import Transport
from serving.upstream import DOWN, NO_MODEL, STARTING, Endpoint, Upstream
from shopstream.settings import Settings

logger = logging.getLogger(__name__)

# Starts role's model on a port: a scoring host loads it, or an `mlflow models serve` starts.
Launcher = Callable[[str, ProductionVersion, int], Awaitable[ScoringServer]]


@dataclass
class Event:
    """What happened, for /health warnings and the CLI summary."""

    at: float
    role: str
    kind: str
    detail: str


class ModelSupervisor:
    def __init__(
        self,
        upstream: Upstream,
        registry: RegistryReader,
        launcher: Launcher,
        config: ServingConfig,
        probe_client: Transport,
    ) -> None:
        self.upstream = upstream
        self.registry = registry
        self.launcher = launcher
        self.config = config
        self.client = probe_client
        self.server: ScoringServer | None = None
        self.model: ProductionVersion | None = None
        self.events: list[Event] = []
        self._failed: dict[str, float] = {}  # version → when its start failed (backoff)
        self.restarts = 0

    @property
    def role(self) -> str:
        return self.upstream.role

    def _log(self, kind: str, detail: str) -> None:
        self.events.append(Event(time.time(), self.role, kind, detail))
        del self.events[:-50]
        logger.info("%s: %s %s", self.role, kind, detail)

    def _spare_port(self) -> int:
        primary, alternate = self.config.ports_for(self.role)
        if self.server is not None and self.server.port == primary:
            return alternate
        return primary

    async def _start(self, model: ProductionVersion) -> ScoringServer:
        port = self._spare_port()
        try:
            server = await self.launcher(self.role, model, port)
        except ScoringServerError:
            raise
        except Exception as e:
            msg = f"{self.role} version {model.version} could not be started: {e}"
            raise ScoringServerError(msg) from e
        try:
            await scoring.wait_ready(server, self.client, self.config.startup_timeout_s)
        except BaseException:
            await asyncio.to_thread(server.stop)
            raise
        return server

    async def step(self) -> None:
        """One supervision round; never raises for a model problem (it is reported instead)."""
        wanted = await asyncio.to_thread(self.registry.production, self.upstream.name)
        if wanted is None:
            if self.server is None:
                self.upstream.mark(NO_MODEL, f"no version of '{self.upstream.name}' has alias "
                                             f"'{self.registry.alias}'")
            return
        self.model = self.model or wanted
        if self.server is not None and not self.server.alive():
            await self._restart(wanted)
        elif self.server is None:
            await self._first_start(wanted)
        elif wanted.version != self.server.model.version:
            await self._promote(wanted)
        elif wanted != self.server.model:
            self.server.model = wanted  # tags or run metrics changed; same artefacts
            if self.upstream.endpoint is not None:
                self.upstream.endpoint.model = wanted

    def _backing_off(self, version: str) -> bool:
        failed = self._failed.get(version)
        return failed is not None and time.time() - failed < 30.0

    async def _first_start(self, wanted: ProductionVersion) -> None:
        if self._backing_off(wanted.version):
            return
        self.upstream.mark(STARTING, f"starting version {wanted.version}")
        try:
            server = await self._start(wanted)
        except ScoringServerError as e:
            self._failed[wanted.version] = time.time()
            self.upstream.mark(DOWN, f"version {wanted.version} failed to start")
            self._log("start_failed", str(e))
            return
        self._install(server)
        self._log("started", f"version {wanted.version} on :{server.port}")

    async def _restart(self, wanted: ProductionVersion) -> None:
        dead = self.server
        assert dead is not None
        code = dead.proc.returncode
        self.upstream.mark(DOWN, f"scoring server exited (code {code}); restarting")
        self._log("died", f"version {dead.model.version} on :{dead.port} exited with {code}")
        self.server = None
        self.restarts += 1
        await self._first_start(wanted)

    async def _promote(self, wanted: ProductionVersion) -> None:
        old = self.server
        assert old is not None
        if self._backing_off(wanted.version):
            return
        self._log("promoting", f"{old.model.version} → {wanted.version}")
        try:
            new = await self._start(wanted)
        except ScoringServerError as e:
            self._failed[wanted.version] = time.time()
            msg = f"version {wanted.version} failed to start; still serving {old.model.version}"
            self.upstream.warnings = [msg]
            self._log("promotion_failed", str(e))
            return
        previous = self._install(new)
        self.upstream.warnings = []
        if previous is not None:
            drained = await self.upstream.drain(previous, self.config.drain_timeout_s)
            if not drained:
                self._log("drain_timeout", f"stopping :{old.port} with batches in flight")
        await asyncio.to_thread(old.stop)
        self._log("promoted", f"version {wanted.version} on :{new.port}; :{old.port} stopped")

    def _install(self, server: ScoringServer) -> Endpoint | None:
        self.server, self.model = server, server.model
        return self.upstream.switch_to(Endpoint(server.url, server.model, server.port,
                                                alive=server.alive))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except ServingError as e:  # e.g. the tracking server is down: said in one line
                logger.warning("%s supervision round failed (%s); retrying", self.role, e)
            except Exception:
                logger.exception("%s supervision round failed; retrying", self.role)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.poll_interval_s)

    async def shutdown(self) -> None:
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)
            self.server = None


def make_launcher(settings: Settings, config: ServingConfig, client: Transport,
                  started: Mapping[str, HostProcess] | None = None,
                  ) -> tuple[Launcher, HostPool | None]:
    """The launcher of config.scoring_layout, and the host pool to close at shutdown (if any)."""
    env = scoring.scoring_env(settings, config.scoring_workers)
    if config.scoring_layout == MLFLOW_SERVE:

        async def _launch(role: str, model: ProductionVersion, port: int) -> ScoringProcess:
            return scoring.launch(role, model, port, settings, config, env)

        return _launch, None
    pool = HostPool(env, config.logs(settings), client, layout=config.scoring_layout,
                    host=config.scoring_host, startup_timeout_s=config.startup_timeout_s,
                    started=started)
    return pool.launch, pool
