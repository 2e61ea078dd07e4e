"""GET /visitors/{visitorid}: stored features, segment and purchase probability of a visitor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status

from serving import shaping
from serving.deps import PredictorDep, SegmenterDep
from serving.errors import ServingError
from serving.schemas import VisitorResponse
from shopstream.contracts import (
    CLUSTER_ID,
    DISTINCT_ITEMS_INTERACTED,
    FUNNEL_SEGMENT,
    KNOWN,
    NUM_ADDTOCART,
    NUM_VIEWS,
    PREV_ADDTOCARTS,
    PREV_EVENTS,
    PREV_TRANSACTIONS,
    PROBABILITY,
    SEGMENT,
    TRANSACTION_PREDICTOR,
    USER_SEGMENTATION,
    WILL_TRANSACT,
)

router = APIRouter(prefix="/visitors", tags=["visitors"])

FEATURES = ("total_events", "total_views", "total_addtocart", "total_transactions",
            "view_ratio", "addtocart_ratio", "transaction_ratio")
LOOKUP_ROW: dict[str, Any] = {
    **{c: -1 for c in FEATURES[:4]}, **{c: -1.0 for c in FEATURES[4:]},
}


def _predictor_row(seg: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The predictor's request for "the visitor's next session, once it has begun with a
    view": one view so far, the stored lifetime totals as the earlier sessions' history (the
    model reads one session's counts, never lifetime totals, as the session so far)."""
    row = {NUM_VIEWS: 1, NUM_ADDTOCART: 0, DISTINCT_ITEMS_INTERACTED: 1,
           PREV_EVENTS: int(seg["total_events"]), PREV_ADDTOCARTS: int(seg["total_addtocart"]),
           PREV_TRANSACTIONS: int(seg["total_transactions"])}
    return row, []


@router.get("/{visitorid}", response_model=VisitorResponse)
async def visitor(
    visitorid: Annotated[int, Path(ge=0, le=2**62)],
    segmenter: SegmenterDep,
    predictor: PredictorDep,
) -> VisitorResponse:
    seg = await segmenter.predict({"visitorid": visitorid, **LOOKUP_ROW})
    shaping.require(USER_SEGMENTATION, seg, CLUSTER_ID, KNOWN, *FEATURES)
    if not seg[KNOWN]:
        msg = (f"visitor {visitorid} has no stored features in user_segmentation version "
               f"{segmenter.version}; it appears in no batch that model was trained on")
        raise HTTPException(status.HTTP_404_NOT_FOUND, msg)
    row, warnings = _predictor_row(seg)
    probability: float | None = None
    will: bool | None = None
    try:
        pred = await predictor.predict(row)
        shaping.require(TRANSACTION_PREDICTOR, pred, PROBABILITY, WILL_TRANSACT)
        probability, will = round(float(pred[PROBABILITY]), 6), bool(pred[WILL_TRANSACT])
    except ServingError as e:
        warnings.append(str(e))
    segment = seg.get(SEGMENT)
    return VisitorResponse(
        visitorid=visitorid,
        features={c: float(seg[c]) for c in FEATURES},
        cluster_id=int(seg[CLUSTER_ID]),
        segment=str(segment) if segment is not None else None,
        funnel_segment=str(seg[FUNNEL_SEGMENT]) if seg.get(FUNNEL_SEGMENT) else None,
        purchase_probability=probability,
        will_transact=will,
        model_versions={USER_SEGMENTATION: segmenter.version,
                        TRANSACTION_PREDICTOR: predictor.version},
        warnings=warnings,
    )
