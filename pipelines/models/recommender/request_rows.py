"""The recommender's request rows (:class:`~shopstream.contracts.RecommenderRequest`, already
validated by MLflow against the pyfunc's type hint) as requests with their item lists parsed
(served code: shopstream's runtime only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shopstream.contracts import RecommenderRequest
from shopstream.model_runtime import parse_id_list


@dataclass(frozen=True)
class RecRequest:
    """One input row of the contract, defaults applied, `items` parsed."""

    mode: str = "visitor"
    visitorid: int = -1
    items: list[int] = field(default_factory=list)
    k: int = 10
    exclude_purchased: bool = True


def parse_requests(rows: Sequence[RecommenderRequest]) -> list[RecRequest]:
    """The rows as requests; `items` (a JSON list in the row) parsed into ids."""
    return [RecRequest(mode=row.mode or "visitor", visitorid=row.visitorid,
                       items=parse_id_list(row.items), k=row.k,
                       exclude_purchased=row.exclude_purchased) for row in rows]
