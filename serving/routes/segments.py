"""POST /segment-user: which behaviour cluster does this visitor fall in?"""

from __future__ import annotations

from fastapi import APIRouter

from serving import shaping
from serving.deps import SegmenterDep
from serving.schemas import SegmentUserRequest, SegmentUserResponse
from shopstream.contracts import CLUSTER_ID, FUNNEL_SEGMENT, SEGMENT, USER_SEGMENTATION

router = APIRouter(tags=["segments"])


@router.post("/segment-user", response_model=SegmentUserResponse)
async def segment_user(body: SegmentUserRequest, segmenter: SegmenterDep) -> SegmentUserResponse:
    out = await segmenter.predict({"visitorid": -1, **body.features()})
    shaping.require(USER_SEGMENTATION, out, CLUSTER_ID)
    segment = out.get(SEGMENT)
    return SegmentUserResponse(
        visitorid=body.visitorid_to_identify,
        cluster_id=int(out[CLUSTER_ID]),
        segment=str(segment) if segment is not None else None,
        funnel_segment=_text(out.get(FUNNEL_SEGMENT)),
        model_version=segmenter.version,
    )


def _text(value: object) -> str | None:
    return str(value) if value is not None else None

