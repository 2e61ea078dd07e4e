"""`shopstream serve` put together: supervisors + router app + uvicorn, in one process.

The scoring servers are child processes; the router and the supervisors share one event loop
(uvloop and httptools when installed), so switching an upstream is a plain attribute write.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from serving.app import create_app
from serving.config import ROLES, ServingConfig
from serving.hosts import HostProcess
from serving.registry import RegistryReader
from serving.supervisor import ModelSupervisor, make_launcher
from serving.transport import AiohttpTransport
from serving.upstream import READY, Upstream
from shopstream.gc_tuning import settle_for_serving
from shopstream.settings import Settings

logger = logging.getLogger(__name__)

Summary = Callable[[dict[str, Any]], None]
SHOWN_EVENTS = ("died", "start_failed", "promotion_failed", "promoted", "drain_timeout")


class Serving:
    """The supervisors and upstreams of one `shopstream serve`."""

    def __init__(self, settings: Settings, config: ServingConfig,
                 hosts: Mapping[str, HostProcess] | None = None) -> None:
        self.settings = settings
        self.config = config
        self.client = AiohttpTransport()  # one keep-alive pool for every upstream call
        self.upstreams = {
            role: Upstream(role, config.name_of(role), self.client, max_batch=config.max_batch,
                           max_concurrent_batches=config.max_concurrent_batches,
                           timeout_s=config.upstream_timeout_s)
            for role in ROLES
        }
        registry = RegistryReader(settings.tracking_uri, config.alias,
                                  credentials=settings.mlflow_credentials)
        launcher, self.pool = make_launcher(settings, config, self.client, hosts)
        self.supervisors = [
            ModelSupervisor(up, registry, launcher, config, self.client)
            for up in self.upstreams.values()
        ]
        self.started = time.time()

    def recent_events(self) -> list[str]:
        now = time.time()
        out = [
            f"{ev.role}: {ev.kind} {ev.detail}".splitlines()[0]
            for sup in self.supervisors
            for ev in sup.events
            if ev.kind in SHOWN_EVENTS and now - ev.at < 120
        ]
        return out[-10:]

    def summary(self) -> dict[str, Any]:
        models = {}
        for sup in self.supervisors:
            server = sup.server
            models[sup.role] = {
                **sup.upstream.snapshot(),
                "pid": server.pid if server else None,
                "port": server.port if server else None,
                "restarts": sup.restarts,
            }
        ready = all(up.state == READY for up in self.upstreams.values())
        return {"status": "ok" if ready else "degraded", "models": models,
                "startup_s": round(time.time() - self.started, 2)}

    @asynccontextmanager
    async def lifespan(self, app: FastAPI, on_ready: Summary | None = None,
                       router_url: str = "") -> AsyncIterator[None]:
        stop = asyncio.Event()
        if self.pool is not None:  # start the host while the supervisors ask the registry
            prestart = asyncio.create_task(self._prestart())
        tasks = [asyncio.create_task(s.run(stop)) for s in self.supervisors]
        announcer = asyncio.create_task(self._announce(on_ready, router_url))
        try:
            yield
        finally:
            stop.set()
            announcer.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(*(s.shutdown() for s in self.supervisors))
            if self.pool is not None:
                prestart.cancel()
                await asyncio.to_thread(self.pool.close)
            await self.client.aclose()

    async def _prestart(self) -> None:
        assert self.pool is not None
        keys = {self.pool.key(role): role for role in ROLES}
        try:
            await asyncio.gather(*(self.pool.host_for(role) for role in keys.values()))
        except Exception as e:  # the supervisors retry and report it
            logger.warning("starting the scoring host(s) failed: %s", e)

    async def _announce(self, on_ready: Summary | None, router_url: str) -> None:
        deadline = time.monotonic() + self.config.startup_timeout_s + 10
        while time.monotonic() < deadline:
            if all(up.state == READY for up in self.upstreams.values()):
                break
            await asyncio.sleep(0.2)
        payload = {"router": router_url, **self.summary()}
        logger.info("serving %s: %s", payload["status"], payload["models"])
        if on_ready is not None:
            on_ready(payload)


def serve(settings: Settings, config: ServingConfig, host: str, port: int,
          on_ready: Summary | None = None,
          hosts: Mapping[str, HostProcess] | None = None) -> None:
    """Run router + scoring servers until SIGINT/SIGTERM. hosts: scoring hosts already started
    (serving.main starts them before it imports the router, so both start side by side)."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    serving = Serving(settings, config, hosts)
    url = f"http://{host}:{port}"

    def lifespan(app: FastAPI) -> Any:
        return serving.lifespan(app, on_ready, url)

    app = create_app(settings, serving.upstreams, events=serving.recent_events,
                     lifespan=lifespan, max_body_bytes=config.max_body_bytes)
    settle_for_serving()  # a full collection in the middle of a burst shows up in p99
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=5, proxy_headers=False)
