"""Supervisor decisions (first start, promotion with drain, restart after death) with fake
processes and a fake registry; real scoring servers run in the integration tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from serving.config import ServingConfig
from serving.registry import ProductionVersion
from serving.supervisor import ModelSupervisor
from serving.transport import HttpxTransport
from serving.upstream import DOWN, READY, Upstream
from shopstream.contracts import INVOCATIONS_KEY

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

ROW = {"num_views": 1, "num_addtocart": 0, "distinct_items_interacted": 1}


@dataclass
class FakeRegistry:
    version: str | None = "1"
    alias: str = "production"

    def production(self, name: str) -> ProductionVersion | None:
        return ProductionVersion(name, self.version, "r") if self.version else None


@dataclass
class FakeProc:
    returncode: int | None = None


@dataclass
class FakeServer:
    role: str
    model: ProductionVersion
    port: int
    proc: FakeProc = field(default_factory=FakeProc)
    stopped: bool = False
    started_at: float = 0.0
    log_file: str = "-"

    @property
    def url(self) -> str:
        return f"http://fake{self.port}"

    @property
    def pid(self) -> int:
        return self.port

    def alive(self) -> bool:
        return self.proc.returncode is None and not self.stopped

    def stop(self, timeout: float = 10.0) -> None:
        self.stopped = True

    def log_tail(self, lines: int = 15) -> str:
        return ""


class Scorer:
    """Answers like a scoring server whose probability is its version number / 10."""

    def __init__(self, version: str, delay: float = 0.0) -> None:
        self.version, self.delay = version, delay

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        import json

        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        if scope["path"] == "/invocations":
            await asyncio.sleep(self.delay)
            rows = json.loads(body)[INVOCATIONS_KEY]
            payload: Any = {"predictions": [{"probability": int(self.version) / 10,
                                             "will_transact": False} for _ in rows]}
        else:
            payload = {}
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


class ByHost:
    """One ASGI app in front of every fake server, chosen by the Host header."""

    def __init__(self) -> None:
        self.apps: dict[str, Scorer] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        host = dict(scope["headers"])[b"host"].decode()
        await self.apps[host](scope, receive, send)


def make(registry: FakeRegistry, delay: float = 0.0) -> tuple[ModelSupervisor, list[FakeServer]]:
    config = ServingConfig(scoring_base_port=7000, poll_interval_s=0.01, startup_timeout_s=5)
    launched: list[FakeServer] = []
    hosts = ByHost()
    client = HttpxTransport(httpx.AsyncClient(transport=httpx.ASGITransport(app=hosts)))

    async def launch(role: str, model: ProductionVersion, port: int) -> Any:
        hosts.apps[f"fake{port}"] = Scorer(model.version, delay)
        server = FakeServer(role, model, port)
        launched.append(server)
        return server

    up = Upstream("transaction_predictor", "tp", client)
    sup = ModelSupervisor(up, registry, launch, config, client)  # type: ignore[arg-type]
    return sup, launched


async def test_first_start_then_promotion_switches_and_stops_old() -> None:
    registry = FakeRegistry("1")
    sup, launched = make(registry)
    await sup.step()
    assert sup.upstream.state == READY and sup.upstream.version == "1"
    assert (await sup.upstream.predict(ROW))["probability"] == 0.1
    registry.version = "2"
    await sup.step()
    assert [s.port for s in launched] == [7001, 7004]  # the spare port of the pair
    assert sup.upstream.version == "2"
    assert launched[0].stopped and not launched[1].stopped
    assert (await sup.upstream.predict(ROW))["probability"] == 0.2


async def test_promotion_waits_for_in_flight_batches() -> None:
    registry = FakeRegistry("1")
    sup, launched = make(registry, delay=0.3)
    await sup.step()
    in_flight = asyncio.create_task(sup.upstream.predict(ROW))
    await asyncio.sleep(0.05)
    registry.version = "2"
    promote = asyncio.create_task(sup.step())
    await asyncio.sleep(0.1)
    assert not launched[0].stopped  # old server still draining its batch
    assert (await in_flight)["probability"] == 0.1
    await promote
    assert launched[0].stopped


async def test_dead_server_is_reported_down_then_restarted() -> None:
    registry = FakeRegistry("1")
    sup, launched = make(registry)
    await sup.step()
    launched[0].proc.returncode = -9
    states: list[str] = []
    original = sup.upstream.mark

    def spy(state: str, reason: str) -> None:
        states.append(state)
        original(state, reason)

    sup.upstream.mark = spy  # type: ignore[method-assign]
    await sup.step()
    assert DOWN in states
    assert sup.upstream.state == READY and len(launched) == 2 and sup.restarts == 1
    assert any(e.kind == "died" for e in sup.events)


async def test_no_alias_means_no_model_state() -> None:
    sup, launched = make(FakeRegistry(None))
    await sup.step()
    assert launched == []
    assert sup.upstream.state == "no_production_version"
    with pytest.raises(Exception, match="transaction_predictor"):
        await sup.upstream.predict(ROW)
