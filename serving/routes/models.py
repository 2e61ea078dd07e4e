"""GET /models: the production version of each model, its metrics and data range."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import StateDep
from serving.schemas import ModelInfo, ModelsResponse

router = APIRouter(tags=["models"])


@router.get("/models", response_model=ModelsResponse)
async def models(state: StateDep) -> ModelsResponse:
    out = []
    for role, up in state.upstreams.items():
        ep = up.endpoint
        info = ep.model.describe() if ep else {"name": up.name, "version": None}
        out.append(ModelInfo(role=role, state=up.state, **info))
    return ModelsResponse(models=out)
