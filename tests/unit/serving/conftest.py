"""Router unit fixtures: the real app over fake scoring servers (plain ASGI apps, no processes).

The fakes stand in for `mlflow models serve` only so router shaping, validation, batching and
error mapping can be tested without services; integration tests use real scoring servers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from serving.app import create_app
from serving.config import ROLES
from serving.registry import ProductionVersion
from serving.transport import HttpxTransport
from serving.upstream import Endpoint, Upstream
from shopstream.settings import Settings

Row = dict[str, Any]


def fake_recommender(row: Row) -> Row:
    k = int(row["k"])
    if row["mode"] == "visitor" and row["visitorid"] in (1, 2):
        items = [100 + row["visitorid"] * 10 + i for i in range(k)]
        strategy = "als"
    elif row["mode"] == "visitor":
        items, strategy = list(range(1, k + 1)), "popular"
    else:
        base = json.loads(row["items"])
        items, strategy = [b + 1 for b in base][:k], row["mode"]
    return {"items": json.dumps(items), "scores": json.dumps([1.0 / (i + 1) for i in
                                                             range(len(items))]),
            "strategy": strategy}


def fake_predictor(row: Row) -> Row:
    p = min(1.0, (row["num_views"] + 10 * row["num_addtocart"]) / 200)
    return {"probability": p, "will_transact": p >= 0.5}


def fake_segmentation(row: Row) -> Row:
    if row["total_events"] == -1:
        known = row["visitorid"] == 7
        counts = [60, 45, 6, 3] if known else [-1, -1, -1, -1]
        ratios = [0.75, 0.1, 0.0667] if known else [float("nan")] * 3
    else:
        known = False
        counts = [row[c] for c in ("total_events", "total_views", "total_addtocart",
                                   "total_transactions")]
        ratios = [row["view_ratio"], row["addtocart_ratio"], row["transaction_ratio"]]
    cluster = 2 if counts[3] > 0 else 0 if counts[0] >= 0 else -1
    names = ("total_events", "total_views", "total_addtocart", "total_transactions",
             "view_ratio", "addtocart_ratio", "transaction_ratio")
    return {"cluster_id": cluster, "segment": {2: "buyers", 0: "browsers"}.get(cluster, "unknown"),
            "known": known, **dict(zip(names, [*counts, *ratios], strict=True))}


FAKES: dict[str, Callable[[Row], Row]] = {
    "recommender": fake_recommender,
    "transaction_predictor": fake_predictor,
    "user_segmentation": fake_segmentation,
}


@dataclass
class FakeScoringServer:
    """An ASGI app answering /ping and /invocations like mlflow's scoring server."""

    predict: Callable[[Row], Row]
    batches: list[int] = field(default_factory=list)
    override: Callable[[list[Row]], Any] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        if scope["path"] == "/ping":
            payload: Any = {}
        else:
            rows = json.loads(body)["dataframe_records"]
            self.batches.append(len(rows))
            payload = (self.override(rows) if self.override else
                       {"predictions": [self.predict(r) for r in rows]})
        data = json.dumps(payload).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": data})


@dataclass
class Harness:
    client: httpx.AsyncClient
    upstreams: dict[str, Upstream]
    fakes: dict[str, FakeScoringServer]


def make_upstreams(fakes: dict[str, FakeScoringServer]) -> dict[str, Upstream]:
    mounts = {f"http://{role}": httpx.ASGITransport(app=fake) for role, fake in fakes.items()}
    upstream_client = HttpxTransport(httpx.AsyncClient(mounts=mounts))
    ups = {}
    for role in ROLES:
        up = Upstream(role, f"{role}-model", upstream_client)
        model = ProductionVersion(f"{role}-model", "3", "run-1",
                                  {"auc": "0.81", "batches": "1-50", "date_from": "2015-05-03"})
        up.switch_to(Endpoint(f"http://{role}", model))
        ups[role] = up
    return ups


async def build(settings: Settings) -> Harness:
    fakes = {role: FakeScoringServer(fn) for role, fn in FAKES.items()}
    ups = make_upstreams(fakes)
    app = create_app(settings, ups, max_body_bytes=4096)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")
    return Harness(client, ups, fakes)


@pytest.fixture
def harness_factory() -> Callable[[Settings], Any]:
    return build


@pytest.fixture
def unit_settings() -> Settings:
    return Settings(api_key=None)


@pytest.fixture
async def harness(unit_settings: Settings) -> AsyncIterator[Harness]:
    h = await build(unit_settings)
    yield h
    await h.client.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
