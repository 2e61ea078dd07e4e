"""Request and response bodies of the router. Requests forbid unknown fields and check that
counts and ratios agree, so a client learns what is wrong before a model sees the row."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

RATIO_TOLERANCE = 0.01
MAX_COUNT = 10_000_000
MAX_ITEM_ID = 2**62

Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
Ratio = Annotated[float, Field(strict=True, ge=0.0, le=1.0, allow_inf_nan=False)]
ItemId = Annotated[int, Field(strict=True, ge=0, le=MAX_ITEM_ID)]
Seconds = Annotated[float, Field(ge=0.0, le=1e9, allow_inf_nan=False)]
Hour = Annotated[int, Field(strict=True, ge=0, le=23)]
Days = Annotated[float, Field(ge=-1.0, le=1e5, allow_inf_nan=False)]
ClientVisitorId = (
    Annotated[int, Field(strict=True, ge=0, le=MAX_ITEM_ID)]
    | Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:@\-]+$")]
)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PredictTransactionRequest(_Request):
    """The session so far (no purchase yet): the seed contract's three counts, and optionally
    what else the model reads; an optional field left out takes its training median."""

    visitorid_to_identify: ClientVisitorId
    num_views: Count
    num_addtocart: Count
    distinct_items_interacted: Count
    duration_s: Seconds | None = Field(None, description="seconds since the session began")
    start_hour: Hour | None = Field(None, description="UTC hour the session began")
    prev_sessions: Count | None = Field(None, description="the visitor's earlier sessions")
    prev_transactions: Count | None = Field(None, description="purchases in earlier sessions")
    prev_addtocarts: Count | None = Field(None, description="add-to-carts in earlier sessions")
    prev_events: Count | None = Field(None, description="events in earlier sessions")
    days_since_prev_session: Days | None = Field(
        None, description="days since the previous session ended; -1 for a first session")

    @model_validator(mode="after")
    def _consistent(self) -> PredictTransactionRequest:
        events = self.num_views + self.num_addtocart
        if self.distinct_items_interacted > events:
            msg = (
                f"distinct_items_interacted ({self.distinct_items_interacted}) cannot exceed "
                f"num_views + num_addtocart ({events}): every item needs at least one event"
            )
            raise ValueError(msg)
        return self

    def features(self) -> dict[str, Any]:
        return self.model_dump(exclude={"visitorid_to_identify"}, exclude_none=True)


class PredictTransactionResponse(BaseModel):
    visitorid: int | str
    will_transact: bool
    probability: float
    model_version: str | None = None


def _check_ratio(name: str, given: float, num: int, den: int, den_name: str) -> str | None:
    expected = num / den if den else 0.0
    if abs(given - expected) > RATIO_TOLERANCE:
        return (
            f"{name}={given} disagrees with the counts: expected {expected:.4f} "
            f"(= {num} / {den_name} {den}, tolerance {RATIO_TOLERANCE})"
        )
    return None


class SegmentUserRequest(_Request):
    visitorid_to_identify: ClientVisitorId
    total_events: Count
    total_views: Count
    total_addtocart: Count
    total_transactions: Count
    view_ratio: Ratio
    addtocart_ratio: Ratio
    transaction_ratio: Ratio = Field(description="total_transactions / total_views")

    @model_validator(mode="after")
    def _consistent(self) -> SegmentUserRequest:
        parts = self.total_views + self.total_addtocart + self.total_transactions
        if parts > self.total_events:
            msg = (
                f"total_views + total_addtocart + total_transactions ({parts}) exceeds "
                f"total_events ({self.total_events})"
            )
            raise ValueError(msg)
        problems = [
            _check_ratio("view_ratio", self.view_ratio, self.total_views, self.total_events,
                         "total_events"),
            _check_ratio("addtocart_ratio", self.addtocart_ratio, self.total_addtocart,
                         self.total_events, "total_events"),
            _check_ratio("transaction_ratio", self.transaction_ratio, self.total_transactions,
                         self.total_views, "total_views"),
        ]
        found = [p for p in problems if p]
        if found:
            raise ValueError("; ".join(found))
        return self

    def features(self) -> dict[str, Any]:
        return self.model_dump(exclude={"visitorid_to_identify"}, exclude_none=True)


class SegmentUserResponse(BaseModel):
    visitorid: int | str
    cluster_id: int
    segment: str | None = None
    funnel_segment: str | None = Field(
        None, description="one-view visitors, browsers, cart abandoners, buyers, repeat buyers")
    model_version: str | None = None


class Recommendation(BaseModel):
    itemid: int
    rating: float


Strategy = Literal["als", "popular", "session", "similar"]


class RecommendationsResponse(BaseModel):
    visitorid: int
    recommendations: list[Recommendation]
    strategy: str
    model_version: str | None = None


class SessionRequest(_Request):
    items: list[ItemId] = Field(min_length=1, max_length=200,
                                description="Item ids seen in this session, oldest first")
    k: int = Field(default=5, strict=True, ge=1, le=100)


class SessionResponse(BaseModel):
    items: list[int]
    recommendations: list[Recommendation]
    strategy: str
    model_version: str | None = None


class SimilarItemsResponse(BaseModel):
    itemid: int
    similar: list[Recommendation]
    strategy: str
    model_version: str | None = None


class VisitorResponse(BaseModel):
    visitorid: int
    features: dict[str, float]
    cluster_id: int
    segment: str | None = None
    funnel_segment: str | None = None
    purchase_probability: float | None = Field(
        None, description="P(purchase in the visitor's next session, once it has begun with a "
                          "view), from their stored history")
    will_transact: bool | None = None
    model_versions: dict[str, str | None]
    warnings: list[str] = Field(default_factory=list)


class ModelState(BaseModel):
    name: str
    version: str | None
    state: str
    reason: str | None = None
    url: str | None = None


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    models_loaded: list[str]
    warnings: list[str]
    models: dict[str, ModelState]


class ReadyResponse(BaseModel):
    ready: bool
    waiting_for: dict[str, str] = Field(
        description="role → state of every production model that does not answer yet")


class ModelInfo(BaseModel):
    role: str
    name: str
    version: str | None
    state: str
    run_id: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    data_range: dict[str, str | None] = Field(default_factory=dict)
    git_commit: str | None = None
    promotion: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class ModelsResponse(BaseModel):
    models: list[ModelInfo]


class ErrorResponse(BaseModel):
    detail: Any
    request_id: str | None = None
