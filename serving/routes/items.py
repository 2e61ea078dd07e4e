"""Items similar to an item (the recommender's item factors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from serving import shaping
from serving.deps import RecommenderDep
from serving.schemas import SimilarItemsResponse

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/{itemid}/similar", response_model=SimilarItemsResponse)
async def similar(
    itemid: Annotated[int, Path(ge=0, le=2**62)],
    recommender: RecommenderDep,
    k: Annotated[int, Query(ge=1, le=100)] = 5,
) -> SimilarItemsResponse:
    out = await recommender.predict(shaping.recommender_row("similar", items=[itemid], k=k))
    recs, strategy = shaping.recommendations(out)
    return SimilarItemsResponse(itemid=itemid, similar=recs, strategy=strategy,
                                model_version=recommender.version)
