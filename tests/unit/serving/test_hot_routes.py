"""serving.hot_routes answers exactly as FastAPI would: same status, headers and bytes.

Every example goes to two routers over the same fake scoring servers, one with the hot path
and one without (create_app(hot_routes=False), FastAPI alone), and the answers must be equal
byte for byte. The generated requests mix the plain form the hot path takes with the ones it
must leave to FastAPI (bad paths and queries, invalid bodies, other content types).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from serving.app import create_app
from serving.upstream import DOWN
from shopstream.contracts import TRANSACTION_PREDICTOR
from shopstream.settings import Settings
from tests.unit.serving.conftest import FAKES, FakeScoringServer, make_upstreams
from tests.unit.serving.requests import POWER, SEGMENT

pytestmark = [pytest.mark.unit]

RID = {"X-Request-ID": "same-id-for-both"}
COMPARED_HEADERS = ("content-type", "content-length", "x-request-id", "retry-after")


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = "application/json"
    api_key: str | None = None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


async def _both(requests: list[Request], key: str | None = None,
                setup: Any = None) -> tuple[list[Answer], list[Answer], list[int]]:
    """(hot answers, FastAPI answers, hot_answers counts of the hot and the plain app).
    Each app has its own fake scoring servers, which must have received the same rows."""
    conf = Settings(api_key=SecretStr(key) if key else None)
    answers: list[list[Answer]] = []
    counts, received = [], []
    for hot in (True, False):
        fakes = {role: FakeScoringServer(role, fn) for role, fn in FAKES.items()}
        ups = make_upstreams(fakes)
        if setup is not None:
            setup(ups, fakes)
        app = create_app(conf, ups, max_body_bytes=4096, hot_routes=hot)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://router") as client:
            answers.append([await _send(client, r) for r in requests])
        counts.append(app.state.router.hot_answers)
        received.append({role: fake.rows for role, fake in fakes.items()})
    assert received[0] == received[1]
    return answers[0], answers[1], counts


async def _send(client: httpx.AsyncClient, r: Request) -> Answer:
    headers = dict(RID)
    if r.body is not None and r.content_type is not None:
        headers["Content-Type"] = r.content_type
    if r.api_key is not None:
        headers["X-API-Key"] = r.api_key
    resp = await client.request(r.method, r.path, content=r.body, headers=headers)
    kept = {h: resp.headers[h] for h in COMPARED_HEADERS if h in resp.headers}
    return Answer(resp.status_code, kept, resp.content)


def _run(requests: list[Request], **kwargs: Any) -> tuple[list[Answer], list[Answer], list[int]]:
    return asyncio.run(_both(requests, **kwargs))


visitor_part = st.one_of(
    st.integers(min_value=0, max_value=2**62).map(str), st.integers(-5, 2**63).map(str),
    st.sampled_from(["05", "+3", "1.0", "abc", "", "1/", "7 "]))
query_value = st.one_of(st.integers(-2, 120).map(str),
                        st.sampled_from(["05", "true", "false", "1", "0", "TRUE", "yes", "",
                                         "on", "x"]))
query = st.lists(st.tuples(st.sampled_from(["num_recommendations", "exclude_purchased",
                                            "other"]), query_value), max_size=3)


@st.composite
def recommendation_requests(draw: st.DrawFn) -> Request:
    pairs = draw(query)
    qs = "&".join(f"{k}={v}" for k, v in pairs)
    return Request("GET", f"/recommendations/{draw(visitor_part)}" + (f"?{qs}" if qs else ""))


def _mutated(base: dict[str, Any], draw: st.DrawFn) -> Request:
    body = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base)), max_size=2, unique=True)):
        body[name] = draw(st.one_of(st.integers(-3, 10**8), st.floats(allow_nan=False),
                                    st.text(max_size=6), st.none(), st.booleans()))
    if draw(st.booleans()):
        body.pop(draw(st.sampled_from(sorted(body))), None)
    raw = json.dumps(body).encode()
    raw = draw(st.sampled_from([raw, raw, raw, raw[:-1], b"[1]", b""]))
    ctype = draw(st.sampled_from(["application/json", "application/json", "text/plain",
                                  "application/json; charset=utf-8", None]))
    return Request("POST", "", raw, ctype)


@st.composite
def predict_requests(draw: st.DrawFn) -> Request:
    views = draw(st.integers(0, 500))
    base = {**POWER, "num_views": views, "num_addtocart": draw(st.integers(0, 20)),
            "distinct_items_interacted": draw(st.integers(0, views))}
    if draw(st.booleans()):
        base["prev_sessions"] = draw(st.integers(0, 30))
    r = _mutated(base, draw) if draw(st.booleans()) else Request(
        "POST", "", json.dumps(base).encode())
    r.path = "/predict-transaction"
    return r


@st.composite
def segment_requests(draw: st.DrawFn) -> Request:
    r = _mutated(SEGMENT, draw) if draw(st.booleans()) else Request(
        "POST", "", json.dumps(SEGMENT).encode())
    r.path = "/segment-user"
    return r


def _same(hot: list[Answer], plain: list[Answer]) -> None:
    for h, p in zip(hot, plain, strict=True):
        assert (h.status, h.headers, h.body) == (p.status, p.headers, p.body)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(recommendation_requests(), predict_requests(), segment_requests()),
                min_size=4, max_size=12))
def test_hot_path_answers_byte_for_byte_like_fastapi(requests: list[Request]) -> None:
    hot, plain, counts = _run(requests)
    _same(hot, plain)
    assert counts[1] == 0


def test_plain_requests_take_the_hot_path() -> None:
    requests = [Request("GET", "/recommendations/1"),
                Request("GET", "/recommendations/2?num_recommendations=7&exclude_purchased=true"),
                Request("GET", "/recommendations/999"),
                Request("POST", "/predict-transaction", json.dumps(POWER).encode()),
                Request("POST", "/segment-user", json.dumps(SEGMENT).encode())]
    hot, plain, counts = _run(requests)
    _same(hot, plain)
    assert [a.status for a in hot] == [200] * 5
    assert counts == [5, 0]
    assert len(json.loads(hot[1].body)["recommendations"]) == 7


def test_model_errors_answer_like_fastapi() -> None:
    def break_models(ups: Any, fakes: Any) -> None:
        ups[TRANSACTION_PREDICTOR].mark(DOWN, "scoring server exited; restarting")
        fakes["recommender"].override = lambda rows: {"predictions": []}

    requests = [Request("POST", "/predict-transaction", json.dumps(POWER).encode()),
                Request("GET", "/recommendations/1")]
    hot, plain, counts = _run(requests, setup=break_models)
    _same(hot, plain)
    assert [a.status for a in hot] == [503, 502]
    assert counts == [2, 0]


def test_api_key_is_checked_before_the_hot_path() -> None:
    body = json.dumps(POWER).encode()
    requests = [Request("POST", "/predict-transaction", body, api_key="s3cret"),
                Request("POST", "/predict-transaction", body, api_key="wrong"),
                Request("POST", "/predict-transaction", body),
                Request("GET", "/recommendations/1", api_key="s3cret")]
    hot, plain, counts = _run(requests, key="s3cret")
    _same(hot, plain)
    assert [a.status for a in hot] == [200, 403, 401, 200]
    assert counts == [2, 0]


EDGE_PATHS = [f"/recommendations/{v}" for v in ("0", "05", "+3", str(2**62), str(2**62 + 1),
                                                 "-1", "1.0", "x", "")] + [
    f"/recommendations/1?{q}" for q in (
        "num_recommendations=0", "num_recommendations=100", "num_recommendations=101",
        "num_recommendations=05", "num_recommendations=", "exclude_purchased=TRUE",
        "exclude_purchased=yes", "exclude_purchased=on", "exclude_purchased=0",
        "exclude_purchased=true&exclude_purchased=false", "num_recommendations=3&other=1",
        "num_recommendations=%33", "exclude_purchased")]


def test_edge_paths_and_queries_answer_like_fastapi() -> None:
    hot, plain, counts = _run([Request("GET", p) for p in EDGE_PATHS])
    _same(hot, plain)
    assert 0 < counts[0] < len(EDGE_PATHS)
