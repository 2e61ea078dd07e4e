"""FastAPI dependencies as Annotated aliases: routes declare what they need, nothing global."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

from serving.state import RouterState
from serving.upstream import Upstream
from shopstream.contracts import RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="Required when SHOPSTREAM_API_KEY is set")


def _state(request: Request) -> RouterState:
    state: RouterState = request.app.state.router
    return state


async def get_state(request: Request) -> RouterState:
    return _state(request)


StateDep = Annotated[RouterState, Depends(get_state)]


async def require_api_key(
    state: StateDep, key: Annotated[str | None, Depends(_api_key_header)]
) -> None:
    expected = state.settings.api_key
    if expected is None or not expected.get_secret_value():
        return
    if key is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                            "missing X-API-Key header; this router requires an API key")
    if not hmac.compare_digest(key.encode(), expected.get_secret_value().encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "X-API-Key is not valid for this router")


ApiKeyDep = Depends(require_api_key)


# Upstream lookups take the Request directly: one dependency node each on the hot path.
async def get_recommender(request: Request) -> Upstream:
    return _state(request).upstream(RECOMMENDER)


async def get_predictor(request: Request) -> Upstream:
    return _state(request).upstream(TRANSACTION_PREDICTOR)


async def get_segmenter(request: Request) -> Upstream:
    return _state(request).upstream(USER_SEGMENTATION)


RecommenderDep = Annotated[Upstream, Depends(get_recommender)]
PredictorDep = Annotated[Upstream, Depends(get_predictor)]
SegmenterDep = Annotated[Upstream, Depends(get_segmenter)]
