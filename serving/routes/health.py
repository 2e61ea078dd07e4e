"""GET /health: the original shape plus each model's version and scoring-server state."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import StateDep
from serving.schemas import HealthResponse, ModelState
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
