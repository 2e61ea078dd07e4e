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
from shopstream.contracts import (
    INVOCATIONS_KEY,
    MODEL_IO,
    RECOMMENDER,
    TRANSACTION_PREDICTOR,
    USER_SEGMENTATION,
)
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
    segment = {2: "buyers", 0: "browsers"}.get(cluster, "unknown")
    return {"cluster_id": cluster, "segment": segment, "known": known, "funnel_segment": segment,
            **dict(zip(names, [*counts, *ratios], strict=True)), "distinct_items": -1}


FAKES: dict[str, Callable[[Row], Row]] = {
    RECOMMENDER: fake_recommender,
    TRANSACTION_PREDICTOR: fake_predictor,
    USER_SEGMENTATION: fake_segmentation,
}


def check_contract(role: str, request: Row, response: Row) -> None:
    """A fake answers only requests the real model would take, with the columns it returns
    (shopstream.contracts.MODEL_IO, which the real versions' signatures are built from)."""
    io = MODEL_IO[role]
    missing = [c.name for c in io.inputs if c.required and c.name not in request]
    assert not missing, f"the router sent {role} a row without {missing}: {request}"
    assert set(response) >= set(io.output_names), f"{role} fake lacks contract outputs"


@dataclass
class FakeScoringServer:
    """An ASGI app answering /ping and /invocations like mlflow's scoring server, checking
    every row against the model's contract."""

    role: str
    predict: Callable[[Row], Row]
    batches: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)  # every row received, in order
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
            rows = json.loads(body)[INVOCATIONS_KEY]
            self.batches.append(len(rows))
            self.rows.extend(rows)
            answers = [self.predict(r) for r in rows]
            for row, answer in zip(rows, answers, strict=True):
                check_contract(self.role, row, answer)
            payload = self.override(rows) if self.override else {"predictions": answers}
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
    fakes = {role: FakeScoringServer(role, fn) for role, fn in FAKES.items()}
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
