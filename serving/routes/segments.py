"""POST /segment-user: which behaviour cluster does this visitor fall in?"""

from __future__ import annotations

from fastapi import APIRouter

from serving import shaping
from serving.deps import SegmenterDep
from serving.schemas import SegmentUserRequest, SegmentUserResponse

router = APIRouter(tags=["segments"])


@router.post("/segment-user", response_model=SegmentUserResponse)
async def segment_user(body: SegmentUserRequest, segmenter: SegmenterDep) -> SegmentUserResponse:
    out = await segmenter.predict({"visitorid": -1, **body.features()})
    shaping.require("user_segmentation", out, "cluster_id")
    segment = out.get("segment")
    return SegmentUserResponse(
        visitorid=body.visitorid_to_identify,
        cluster_id=int(out["cluster_id"]),
        segment=str(segment) if segment is not None else None,
        model_version=segmenter.version,
    )
