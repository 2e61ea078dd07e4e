"""Turning pyfunc output rows (docs/contracts.md) into API fields. No model logic here."""

from __future__ import annotations

import json
from typing import Any

from serving.errors import ModelResponseError
from serving.schemas import Recommendation
from shopstream.contracts import (
    EXCLUDE_PURCHASED,
    ITEMS,
    MODE,
    RECOMMENDER,
    SCORES,
    STRATEGY,
    VISITORID,
    K,
)


def _json_list(role: str, row: dict[str, Any], column: str) -> list[Any]:
    value = row.get(column)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as e:
            raise ModelResponseError(role, f"column '{column}' is not a JSON list") from e
    if not isinstance(value, list):
        raise ModelResponseError(role, f"column '{column}' missing or not a list")
    return value


def recommendations(row: dict[str, Any]) -> tuple[list[Recommendation], str]:
    items = _json_list(RECOMMENDER, row, ITEMS)
    scores = _json_list(RECOMMENDER, row, SCORES)
    if len(scores) != len(items):
        raise ModelResponseError(RECOMMENDER, "items and scores differ in length")
    recs = [
        Recommendation(itemid=int(i), rating=round(float(s), 6))
        for i, s in zip(items, scores, strict=True)
    ]
    return recs, str(row.get(STRATEGY, "unknown"))


def recommender_row(
    mode: str, *, visitorid: int = -1, items: list[int] | None = None, k: int = 5,
    exclude_purchased: bool = False,
) -> dict[str, Any]:
    return {MODE: mode, VISITORID: visitorid, ITEMS: json.dumps(items or []), K: k,
            EXCLUDE_PURCHASED: exclude_purchased}


def require(role: str, row: dict[str, Any], *columns: str) -> None:
    missing = [c for c in columns if c not in row or row[c] is None]
    if missing:
        raise ModelResponseError(role, f"output lacks column(s) {', '.join(missing)}")
