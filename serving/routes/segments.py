"""POST /segment-user: which behaviour cluster does this visitor fall in?"""

from __future__ import annotations

from fastapi import APIRouter

from serving import shaping
from serving.deps import SegmenterDep
from serving.schemas import SegmentUserRequest, SegmentUserResponse
from serving.upstream import Upstream
from shopstream.contracts import CLUSTER_ID, FUNNEL_SEGMENT, SEGMENT, USER_SEGMENTATION

router = APIRouter(tags=["segments"])


async def answer(segmenter: Upstream, body: SegmentUserRequest) -> SegmentUserResponse:
    """The route's whole work, shared with serving.hot_routes."""
    out = await segmenter.predict({"visitorid": -1, **body.features()})
    shaping.require(USER_SEGMENTATION, out, CLUSTER_ID)
    return SegmentUserResponse(
        visitorid=body.visitorid_to_identify,
        cluster_id=int(out[CLUSTER_ID]),
        segment=_text(out.get(SEGMENT)),
        funnel_segment=_text(out.get(FUNNEL_SEGMENT)),
        model_version=segmenter.version,
    )


@router.post("/segment-user", response_model=SegmentUserResponse)
async def segment_user(body: SegmentUserRequest, segmenter: SegmenterDep) -> SegmentUserResponse:
    return await answer(segmenter, body)


def _text(value: object) -> str | None:
    return str(value) if value is not None else None
