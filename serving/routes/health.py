"""GET /health (liveness: the original shape plus each model's version and scoring-server
state) and GET /ready (readiness: 503 until every production model answers)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from serving.deps import StateDep
from serving.schemas import HealthResponse, ModelState, ReadyResponse
from serving.upstream import READY

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse)
async def health(state: StateDep) -> HealthResponse:
    models = {role: ModelState(**up.snapshot()) for role, up in state.upstreams.items()}
    loaded = [role for role, up in state.upstreams.items() if up.state == READY]
    warnings = [
        f"{role}: {up.state}" + (f" ({up.reason})" if up.reason else "")
        for role, up in state.upstreams.items()
        if up.state != READY
    ]
    for up in state.upstreams.values():
        warnings.extend(up.warnings)
    warnings.extend(state.events())
    ok = len(loaded) == len(state.upstreams)
    return HealthResponse(status="ok" if ok else "degraded", models_loaded=loaded,
                          warnings=warnings, models=models)


@router.get("/ready", response_model=ReadyResponse,
            responses={503: {"model": ReadyResponse,
                             "description": "Not every production model answers yet"}})
async def ready(state: StateDep, response: Response) -> ReadyResponse:
    """Readiness for a load balancer: 200 only while every production model answers. /health
    is liveness: it stays 200 while the process lives, whatever the models' state."""
    waiting = {role: up.state for role, up in state.upstreams.items() if up.state != READY}
    if waiting:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadyResponse(ready=not waiting, waiting_for=waiting)
