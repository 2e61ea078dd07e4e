"""Recommendations for a visitor (ALS, or popular items for unknown visitors) and a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from serving import shaping
from serving.deps import RecommenderDep
from serving.schemas import RecommendationsResponse, SessionRequest, SessionResponse
from serving.upstream import Upstream

router = APIRouter(prefix="/recommendations", tags=["recommendations"])

MAX_VISITOR_ID = 2**62
MAX_RECOMMENDATIONS = 100
VisitorPath = Annotated[int, Path(ge=0, le=MAX_VISITOR_ID, description="Numeric visitor id")]


async def answer(recommender: Upstream, visitorid: int, num_recommendations: int,
                 exclude_purchased: bool) -> RecommendationsResponse:
    """The visitor route's whole work, shared with serving.hot_routes."""
    row = shaping.recommender_row("visitor", visitorid=visitorid, k=num_recommendations,
                                  exclude_purchased=exclude_purchased)
    out = await recommender.predict(row)
    recs, strategy = shaping.recommendations(out)
    return RecommendationsResponse(visitorid=visitorid, recommendations=recs, strategy=strategy,
                                   model_version=recommender.version)


@router.get("/{visitorid}", response_model=RecommendationsResponse)
async def for_visitor(
    visitorid: VisitorPath,
    recommender: RecommenderDep,
    num_recommendations: Annotated[int, Query(ge=1, le=MAX_RECOMMENDATIONS)] = 5,
    exclude_purchased: Annotated[bool, Query(description="Drop items already bought")] = False,
) -> RecommendationsResponse:
    return await answer(recommender, visitorid, num_recommendations, exclude_purchased)


@router.post("/session", response_model=SessionResponse)
async def for_session(body: SessionRequest, recommender: RecommenderDep) -> SessionResponse:
    row = shaping.recommender_row("session", items=body.items, k=body.k)
    out = await recommender.predict(row)
    recs, strategy = shaping.recommendations(out)
    return SessionResponse(items=body.items, recommendations=recs, strategy=strategy,
                           model_version=recommender.version)
