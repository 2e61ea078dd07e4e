"""The router app factory. `create_app(settings, upstreams)` builds a fresh app every call."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRouter

from serving.config import MAX_BODY_BYTES
from serving.deps import ApiKeyDep
from serving.errors import ModelResponseError, ModelUnavailableError
from serving.hot_routes import HotRoutes
from serving.middleware import RouterMiddleware
from serving.routes import (
    health,
    items,
    metrics,
    models,
    predictions,
    recommendations,
    segments,
    visitors,
)
from serving.state import EventSource, RouterState
from serving.upstream import Upstream
from shopstream.settings import Settings

logger = logging.getLogger(__name__)

OPEN_ROUTERS: tuple[APIRouter, ...] = (health.router, metrics.router)
GUARDED_ROUTERS: tuple[APIRouter, ...] = (
    predictions.router, segments.router, recommendations.router, items.router,
    visitors.router, models.router,
)


def _request_id(request: Request) -> str | None:
    rid = request.scope.get("state", {}).get("request_id")
    return str(rid) if rid else None


def _summarise(errors: list[Any]) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content=jsonable_encoder({"detail": errors, "message": _summarise(errors)}),
    )


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ModelUnavailableError)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": str(exc), "model": exc.role, "request_id": _request_id(request)},
        headers={"Retry-After": "2"},
    )


async def _bad_model_answer(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ModelResponseError)
    rid = _request_id(request)
    logger.error("%s [request_id=%s]", exc, rid)
    return JSONResponse(
        status_code=status.HTTP_502_BAD_GATEWAY,
        content={"detail": f"model '{exc.role}' could not answer this request",
                 "model": exc.role, "request_id": rid},
    )


def create_app(
    settings: Settings,
    upstreams: Mapping[str, Upstream],
    *,
    events: EventSource | None = None,
    lifespan: Any = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    hot_routes: bool = True,
) -> FastAPI:
    """A router over the given upstreams. lifespan may start/stop supervisors around it.
    hot_routes=False leaves every request to FastAPI (the reference the hot path is tested
    against)."""
    kwargs: dict[str, Any] = {}
    if lifespan is not None:
        kwargs["lifespan"] = lifespan
    app = FastAPI(
        title="shopstream router",
        version="1.0",
        description="Thin REST router in front of the MLflow scoring servers of the production "
        "recommender, transaction_predictor and user_segmentation models.",
        # Our own Prometheus metrics cover requests; FastAPI's OpenTelemetry hooks cost ~100 µs
        # a request even with no provider configured.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        **kwargs,
    )
    state = RouterState(settings=settings, upstreams=upstreams)
    state.metrics.watch(upstreams)
    if events is not None:
        state.events = events
    app.state.router = state
    # Routes are matched in order: the scoring routes go first, /health and /metrics last.
    # The key gate is attached only when a key is configured: the OpenAPI document then says
    # so, and an open router pays nothing for it per request.
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    for router in GUARDED_ROUTERS:
        if key:
            app.include_router(router, dependencies=[ApiKeyDep],
                               responses={401: {"description": "X-API-Key missing"},
                                          403: {"description": "X-API-Key wrong"}})
        else:
            app.include_router(router)
    for router in OPEN_ROUTERS:
        app.include_router(router)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ModelUnavailableError, _unavailable)
    app.add_exception_handler(ModelResponseError, _bad_model_answer)
    if hot_routes:  # inside RouterMiddleware: request ids, body limit and metrics apply
        app.add_middleware(HotRoutes, state=state, error_handlers={
            ModelUnavailableError: _unavailable, ModelResponseError: _bad_model_answer})
    app.add_middleware(RouterMiddleware, metrics=state.metrics, max_body_bytes=max_body_bytes)
    return app

