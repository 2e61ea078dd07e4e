"""Recommendations for a visitor (ALS, or popular items for unknown visitors) and a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from serving import shaping
from serving.deps import RecommenderDep
from serving.schemas import RecommendationsResponse, SessionRequest, SessionResponse

router = APIRouter(prefix="/recommendations", tags=["recommendations"])

VisitorPath = Annotated[int, Path(ge=0, le=2**62, description="Numeric visitor id")]


@router.get("/{visitorid}", response_model=RecommendationsResponse)
async def for_visitor(
    visitorid: VisitorPath,
    recommender: RecommenderDep,
    num_recommendations: Annotated[int, Query(ge=1, le=100)] = 5,
    exclude_purchased: Annotated[bool, Query(description="Drop items already bought")] = False,
) -> RecommendationsResponse:
    row = shaping.recommender_row("visitor", visitorid=visitorid, k=num_recommendations,
                                  exclude_purchased=exclude_purchased)
    out = await recommender.predict(row)
    recs, strategy = shaping.recommendations(out)
    return RecommendationsResponse(visitorid=visitorid, recommendations=recs, strategy=strategy,
                                   model_version=recommender.version)


@router.post("/session", response_model=SessionResponse)
async def for_session(body: SessionRequest, recommender: RecommenderDep) -> SessionResponse:
    row = shaping.recommender_row("session", items=body.items, k=body.k)
    out = await recommender.predict(row)
    recs, strategy = shaping.recommendations(out)
    return SessionResponse(items=body.items, recommendations=recs, strategy=strategy,
                           model_version=recommender.version)
