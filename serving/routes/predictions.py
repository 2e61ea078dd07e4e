"""POST /predict-transaction: will this visitor buy?"""

from __future__ import annotations

from fastapi import APIRouter

from serving import shaping
from serving.deps import PredictorDep
from serving.schemas import PredictTransactionRequest, PredictTransactionResponse
from serving.upstream import Upstream
from shopstream.contracts import PROBABILITY, TRANSACTION_PREDICTOR, WILL_TRANSACT

router = APIRouter(tags=["predictions"])


async def answer(
    predictor: Upstream, body: PredictTransactionRequest
) -> PredictTransactionResponse:
    """The route's whole work, shared with serving.hot_routes."""
    out = await predictor.predict(body.features())
    shaping.require(TRANSACTION_PREDICTOR, out, PROBABILITY, WILL_TRANSACT)
    return PredictTransactionResponse(
        visitorid=body.visitorid_to_identify,
        will_transact=bool(out[WILL_TRANSACT]),
        probability=round(float(out[PROBABILITY]), 6),
        model_version=predictor.version,
    )


@router.post("/predict-transaction", response_model=PredictTransactionResponse)
async def predict_transaction(
    body: PredictTransactionRequest, predictor: PredictorDep
) -> PredictTransactionResponse:
    return await answer(predictor, body)
