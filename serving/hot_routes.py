"""The three scoring routes answered without FastAPI's per-request machinery.

Under load the router's own CPU is the bound (docs/serving.md): per request FastAPI matches
every route, solves the dependency graph, opens exit stacks and re-validates the response
model. `HotRoutes` is a pure-ASGI layer between the router middleware and FastAPI that answers
the plain form of the three hot routes itself:

    GET  /recommendations/{visitorid}[?num_recommendations=N][&exclude_purchased=true|false]
    POST /predict-transaction   (Content-Type: application/json)
    POST /segment-user          (Content-Type: application/json)

It calls the routes' own `answer` functions with the same request models, and writes the
response bytes FastAPI would write. Anything else, and every request it cannot answer exactly
as FastAPI would (a malformed path or query, an invalid body, a wrong or missing API key, a
root path), goes on to FastAPI untouched, with any body it read replayed; so error answers,
OpenAPI and the other routes stay FastAPI's. tests/unit/serving/test_hot_routes.py holds the
two paths to the same bytes.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.middleware import raw_header
from serving.routes import predictions, recommendations, segments
from serving.schemas import PredictTransactionRequest, SegmentUserRequest
from serving.state import RouterState
from shopstream.contracts import RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION

ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]
Answer = Callable[[], Awaitable[BaseModel]]

RECOMMENDATIONS_PATH = "/recommendations/{visitorid}"
PREDICT_PATH = "/predict-transaction"
SEGMENT_PATH = "/segment-user"

_VISITOR = re.compile(r"^/recommendations/(0|[1-9][0-9]{0,18})$")
_COUNT = re.compile(r"^[1-9][0-9]{0,2}$")
_BOOL = {"true": True, "false": False, "1": True, "0": False}
_JSON_TYPES = (b"application/json", b"application/json; charset=utf-8")
_HEADERS = (b"content-type", b"application/json")


class PassThroughError(Exception):
    """This request is not in the plain form the hot path answers; FastAPI takes it."""


@dataclass(frozen=True)
class HotRoute:
    route: APIRoute  # set on the scope so the metrics label it as FastAPI would
    answer: Callable[[RouterState, Scope, bytes], Answer]
    has_body: bool


class HotRoutes:
    """Pure-ASGI: answers plain requests to the hot routes, passes the rest to `app`."""

    def __init__(self, app: ASGIApp, state: RouterState,
                 error_handlers: Mapping[type[Exception], ErrorHandler]) -> None:
        self.app = app
        self.state = state
        self.handlers = dict(error_handlers)
        key = state.settings.api_key.get_secret_value() if state.settings.api_key else ""
        self.key = key.encode()
        routes = {r.path: r for module in (recommendations, predictions, segments)
                  for r in module.router.routes if isinstance(r, APIRoute)}
        self.table = {
            ("GET", RECOMMENDATIONS_PATH): HotRoute(routes[RECOMMENDATIONS_PATH],
                                                    _recommendations, has_body=False),
            ("POST", PREDICT_PATH): HotRoute(routes[PREDICT_PATH], _predict, has_body=True),
            ("POST", SEGMENT_PATH): HotRoute(routes[SEGMENT_PATH], _segment, has_body=True),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self._match(scope)
        if hot is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive) if hot.has_body else b""
        try:
            answer = hot.answer(self.state, scope, body)
        except PassThroughError:
            await self.app(scope, _replay(body, receive) if hot.has_body else receive, send)
            return
        scope["route"] = hot.route
        self.state.hot_answers += 1
        try:
            model = await answer()
        except Exception as exc:
            handler = self.handlers.get(type(exc))
            if handler is None:
                raise
            await (await handler(Request(scope, receive), exc))(scope, receive, send)
            return
        payload = model.__pydantic_serializer__.to_json(model, by_alias=True)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(payload)).encode()), _HEADERS]})
        await send({"type": "http.response.body", "body": payload})

    def _match(self, scope: Scope) -> HotRoute | None:
        if scope["type"] != "http" or scope.get("root_path"):
            return None
        path = scope["path"]
        key = RECOMMENDATIONS_PATH if path.startswith("/recommendations/") else path
        hot = self.table.get((scope["method"], key))
        if hot is None or (hot.has_body and raw_header(scope, b"content-type") not in _JSON_TYPES):
            return None
        if self.key:
            given = raw_header(scope, b"x-api-key")
            if given is None or not hmac.compare_digest(given, self.key):
                return None  # FastAPI answers 401 or 403
        return hot


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _validated(model: type[BaseModel], body: bytes) -> Any:
    """The body as FastAPI reads it (json.loads, then the model), or PassThroughError."""
    try:
        return model.model_validate(json.loads(body))
    except (ValueError, ValidationError) as e:  # JSONDecodeError is a ValueError
        raise PassThroughError from e


def _recommendations(state: RouterState, scope: Scope, body: bytes) -> Answer:
    del body
    match = _VISITOR.match(scope["path"])
    visitorid = int(match.group(1)) if match else -1
    if not 0 <= visitorid <= recommendations.MAX_VISITOR_ID:
        raise PassThroughError
    k, exclude = 5, False
    query = scope.get("query_string", b"")
    if query:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        given = dict(pairs)
        if len(given) != len(pairs) or not set(given) <= {"num_recommendations",
                                                          "exclude_purchased"}:
            raise PassThroughError
        k_text = given.get("num_recommendations", "5")
        exclude_text = given.get("exclude_purchased", "false")
        if not _COUNT.match(k_text) or exclude_text not in _BOOL:
            raise PassThroughError
        k, exclude = int(k_text), _BOOL[exclude_text]
        if k > recommendations.MAX_RECOMMENDATIONS:
            raise PassThroughError
    up = state.upstream(RECOMMENDER)
    return lambda: recommendations.answer(up, visitorid, k, exclude)


def _predict(state: RouterState, scope: Scope, body: bytes) -> Answer:
    request = _validated(PredictTransactionRequest, body)
    up = state.upstream(TRANSACTION_PREDICTOR)
    return lambda: predictions.answer(up, request)


def _segment(state: RouterState, scope: Scope, body: bytes) -> Answer:
    request = _validated(SegmentUserRequest, body)
    up = state.upstream(USER_SEGMENTATION)
    return lambda: segments.answer(up, request)
