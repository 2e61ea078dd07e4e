"""What crosses a stage boundary, written once: columns, schemas, model names and their I/O.

- the column vocabulary of every stage (events as produced, consumed, stored and trained on;
  derived training columns; the models' request and response columns);
- the Arrow schema of a Kafka message and of a stored batch (the Spark schema is derived from
  it by :func:`spark_schema`, never retyped);
- the registered model names, the serving alias and the tag that says which model a
  registered version is;
- each served model's request and answer rows as pydantic classes (:data:`MODEL_ROWS`): the
  type hints of its pyfunc's ``predict``, from which MLflow builds the version's signature and
  validates every request; :data:`MODEL_IO` lists their columns for the router and the fakes.

Pure Python: pyarrow and pyspark are imported inside the functions that need them.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

import pydantic

if TYPE_CHECKING:
    import pyarrow as pa

# ---- events (events.csv, Kafka messages, stored batches) ----------------------------------
TIMESTAMP = "timestamp"  # epoch milliseconds, UTC
VISITORID = "visitorid"
EVENT = "event"
ITEMID = "itemid"
TRANSACTIONID = "transactionid"
SEQ = "seq"  # 1-based row number in its source
SOURCE = "source"  # the source file's digest (or a producer's stream id)
KAFKA_PARTITION = "kafka_partition"
KAFKA_OFFSET = "kafka_offset"

CSV_FIELDS: tuple[str, ...] = (TIMESTAMP, VISITORID, EVENT, ITEMID, TRANSACTIONID)
ID_FIELDS: tuple[str, ...] = (TIMESTAMP, VISITORID, ITEMID)

VIEW = "view"
ADDTOCART = "addtocart"
TRANSACTION = "transaction"
EVENT_TYPES: tuple[str, ...] = (VIEW, ADDTOCART, TRANSACTION)

# ---- derived training columns ---------------------------------------------------------------
EVENT_TIME = "event_time"  # timestamp as Spark TimestampType
SESSION = "session_id"  # visitor-local session number (0, 1, …)
SESSION_START = "session_start"
CONFIDENCE = "confidence"
POPULARITY = "popularity"
LABEL = "label"
WEIGHT = "weight"

# ---- model inputs (the original API's names, kept exactly) --------------------------------
TOTAL_EVENTS = "total_events"
TOTAL_VIEWS = "total_views"
TOTAL_ADDTOCART = "total_addtocart"
TOTAL_TRANSACTIONS = "total_transactions"
DISTINCT_ITEMS = "distinct_items"
VIEW_RATIO = "view_ratio"
ADDTOCART_RATIO = "addtocart_ratio"
TRANSACTION_RATIO = "transaction_ratio"
SEGMENT_COUNTS = (TOTAL_EVENTS, TOTAL_VIEWS, TOTAL_ADDTOCART, TOTAL_TRANSACTIONS)
SEGMENT_FEATURES = (*SEGMENT_COUNTS, VIEW_RATIO, ADDTOCART_RATIO, TRANSACTION_RATIO)

NUM_VIEWS = "num_views"
NUM_ADDTOCART = "num_addtocart"
DISTINCT_ITEMS_INTERACTED = "distinct_items_interacted"
REQUIRED_SESSION_FEATURES = (NUM_VIEWS, NUM_ADDTOCART, DISTINCT_ITEMS_INTERACTED)
# The predictor's optional inputs (the session so far, and the visitor's earlier sessions);
# a request without them gets each one's training median.
DURATION_S = "duration_s"
START_HOUR = "start_hour"
PREV_SESSIONS = "prev_sessions"
PREV_TRANSACTIONS = "prev_transactions"
PREV_ADDTOCARTS = "prev_addtocarts"
PREV_EVENTS = "prev_events"
DAYS_SINCE_PREV = "days_since_prev_session"
OPTIONAL_SESSION_FEATURES = (DURATION_S, START_HOUR, PREV_SESSIONS, PREV_TRANSACTIONS,
                             PREV_ADDTOCARTS, PREV_EVENTS, DAYS_SINCE_PREV)

# Recommender request columns.
MODE = "mode"
ITEMS = "items"  # a JSON list of item ids
K = "k"
EXCLUDE_PURCHASED = "exclude_purchased"

# ---- model outputs --------------------------------------------------------------------------
SCORES = "scores"  # a JSON list of scores, parallel to ITEMS
STRATEGY = "strategy"
PROBABILITY = "probability"
WILL_TRANSACT = "will_transact"
CLUSTER_ID = "cluster_id"
SEGMENT = "segment"
FUNNEL_SEGMENT = "funnel_segment"
KNOWN = "known"

# ---- registry --------------------------------------------------------------------------------
RECOMMENDER = "recommender"
TRANSACTION_PREDICTOR = "transaction_predictor"
USER_SEGMENTATION = "user_segmentation"
MODEL_NAMES: tuple[str, ...] = (RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION)
PRODUCTION_ALIAS = "production"
# Set in a scoring process's environment: served models settle the GC once loaded.
SCORING_SERVER_ENV = "SHOPSTREAM_SCORING_SERVER"
MODEL_TYPE_TAG = "model_type"  # on every registered version: which model it is


@dataclass(frozen=True)
class Column:
    """One column of a model's request or response: name, MLflow type, required."""

    name: str
    type: str
    required: bool = True


@dataclass(frozen=True)
class ModelIO:
    """A served model's request and response columns (its MLflow signature)."""

    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.outputs)


class ServedRow(pydantic.BaseModel):
    """A row a served model reads or answers. Fields it does not know are ignored (MLflow's
    DataFrame schema dropped unknown columns too)."""

    model_config = pydantic.ConfigDict(extra="ignore")


class RecommenderRequest(ServedRow):
    mode: str = "visitor"  # visitor | session | similar (docs/contracts.md)
    visitorid: int
    items: str = "[]"  # a JSON list of item ids
    k: int = 10
    exclude_purchased: bool = True


class RecommenderAnswer(ServedRow):
    items: str  # a JSON list of item ids, best first
    scores: str  # a JSON list of scores, parallel to items
    strategy: str


class TransactionRequest(ServedRow):
    """The seed contract's three counts; the other session features are optional (missing
    ones take the version's training medians; a version ignores those it was not trained on)."""

    num_views: int
    num_addtocart: int
    distinct_items_interacted: int
    duration_s: float | None = None
    start_hour: float | None = None
    prev_sessions: float | None = None
    prev_transactions: float | None = None
    prev_addtocarts: float | None = None
    prev_events: float | None = None
    days_since_prev_session: float | None = None


class TransactionAnswer(ServedRow):
    probability: float
    will_transact: bool


class SegmentationRequest(ServedRow):
    """Given counts and ratios, or all four counts -1: the stored snapshot of `visitorid`."""

    visitorid: int = -1
    total_events: int
    total_views: int
    total_addtocart: int
    total_transactions: int
    view_ratio: float
    addtocart_ratio: float
    transaction_ratio: float


class SegmentationAnswer(ServedRow):
    cluster_id: int
    segment: str
    known: bool
    funnel_segment: str
    total_events: int
    total_views: int
    total_addtocart: int
    total_transactions: int
    view_ratio: float
    addtocart_ratio: float
    transaction_ratio: float
    distinct_items: int


# The key of the rows in an /invocations body. MLflow's `inputs`: versions with typed rows
# take nothing else, and older versions (DataFrame signatures) read it as records too.
INVOCATIONS_KEY = "inputs"
# role → (request row, answer row): the type hints of the role's pyfunc predict.
MODEL_ROWS: dict[str, tuple[type[ServedRow], type[ServedRow]]] = {
    RECOMMENDER: (RecommenderRequest, RecommenderAnswer),
    TRANSACTION_PREDICTOR: (TransactionRequest, TransactionAnswer),
    USER_SEGMENTATION: (SegmentationRequest, SegmentationAnswer),
}
_MLFLOW_TYPES = {int: "long", float: "double", str: "string", bool: "boolean"}


def row_columns(row: type[ServedRow]) -> tuple[Column, ...]:
    """The columns of a row class: name, MLflow type, required (no default)."""
    columns = []
    for name, info in row.model_fields.items():
        kind: Any = info.annotation
        if isinstance(kind, types.UnionType):  # `float | None`
            kind = next(a for a in get_args(kind) if a is not type(None))
        columns.append(Column(name, _MLFLOW_TYPES[kind], required=info.is_required()))
    return tuple(columns)


MODEL_IO: dict[str, ModelIO] = {
    role: ModelIO(inputs=row_columns(request), outputs=row_columns(answer))
    for role, (request, answer) in MODEL_ROWS.items()
}


# ---- batch range "A-B" (CLI, MLproject, batch index) ---------------------------------------
def parse_batch_range(spec: str | None) -> tuple[int, int] | None:
    """ "A-B" → (A, B); "A" → (A, A); None/"" → None. Raises ValueError with a usable message."""
    if spec is None or not spec.strip():
        return None
    parts = spec.replace(" ", "").split("-")
    try:
        low, high = int(parts[0]), int(parts[-1])
    except ValueError:
        msg = f"batch range must be 'A-B' or 'A' (e.g. 1-50 or 7), got {spec!r}"
        raise ValueError(msg) from None
    if len(parts) > 2 or low < 1 or high < low:
        msg = f"batch range must be 'A-B' or 'A' with 1 <= A <= B (e.g. 1-50), got {spec!r}"
        raise ValueError(msg)
    return low, high


# ---- schemas ---------------------------------------------------------------------------------
def event_schema() -> pa.Schema:
    """The decoded Kafka message: the five CSV fields plus seq and source."""
    import pyarrow as pa

    return pa.schema([
        (TIMESTAMP, pa.int64()), (VISITORID, pa.int64()), (EVENT, pa.string()),
        (ITEMID, pa.int64()), (TRANSACTIONID, pa.int64()), (SEQ, pa.int64()),
        (SOURCE, pa.string()),
    ])


def batch_schema() -> pa.Schema:
    """Columns of a stored batch (docs/contracts.md)."""
    import pyarrow as pa

    return event_schema().append(pa.field(KAFKA_PARTITION, pa.int32())).append(
        pa.field(KAFKA_OFFSET, pa.int64()))


def spark_schema(schema: pa.Schema) -> Any:
    """The pyspark StructType of an Arrow schema (the Spark side never retypes a contract)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)
