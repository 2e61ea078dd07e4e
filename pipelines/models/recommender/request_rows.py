"""The recommender's input rows, parsed column by column into requests (served code: pandas
and shopstream's runtime only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from shopstream.model_runtime import parse_id_list


@dataclass(frozen=True)
class RecRequest:
    """One input row of the contract, defaults applied."""

    mode: str = "visitor"
    visitorid: int = -1
    items: list[int] = field(default_factory=list)
    k: int = 10
    exclude_purchased: bool = True


def _given(value: Any, default: Any) -> Any:
    return default if value is None or (not isinstance(value, (list, str)) and pd.isna(value)) \
        else value


def parse_requests(frame: pd.DataFrame) -> list[RecRequest]:
    """The frame's rows as requests, read column by column (a row-wise to_dict costs pandas
    far more than the scoring itself on a multi-row call); missing columns take defaults."""
    n = len(frame)

    def column(name: str, default: Any) -> list[Any]:
        if name not in frame.columns:
            return [default] * n
        return [_given(v, default) for v in frame[name].tolist()]

    modes, items = column("mode", "visitor"), column("items", "[]")
    return [
        RecRequest(mode=str(mode or "visitor"), visitorid=int(visitor),
                   items=parse_id_list(raw), k=int(k), exclude_purchased=bool(exclude))
        for mode, visitor, raw, k, exclude in zip(
            modes, column("visitorid", -1), items, column("k", 10),
            column("exclude_purchased", True), strict=True)
    ]
