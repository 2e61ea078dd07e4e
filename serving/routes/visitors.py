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
    KNOWN,
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
    """The predictor's three inputs from the stored snapshot, and what had to be estimated."""
    views, carts = int(seg["total_views"]), int(seg["total_addtocart"])
    distinct = seg.get("distinct_items_interacted", seg.get("distinct_items"))
    notes = []
    if distinct is None or int(distinct) < 0:  # -1: a model trained before it was stored
        distinct = views + carts
        notes.append("distinct_items_interacted is not in the stored snapshot; estimated as "
                     "total_views + total_addtocart (an upper bound)")
    row = {"num_views": views, "num_addtocart": carts, "distinct_items_interacted": int(distinct)}
    return row, notes


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
        purchase_probability=probability,
        will_transact=will,
        model_versions={USER_SEGMENTATION: segmenter.version,
                        TRANSACTION_PREDICTOR: predictor.version},
        warnings=warnings,
    )
