"""Column names, event types and the Arrow schemas shared by producer, consumer and batches."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

TIMESTAMP = "timestamp"
VISITORID = "visitorid"
EVENT = "event"
ITEMID = "itemid"
TRANSACTIONID = "transactionid"
SEQ = "seq"
SOURCE = "source"
KAFKA_PARTITION = "kafka_partition"
KAFKA_OFFSET = "kafka_offset"

CSV_FIELDS: tuple[str, ...] = (TIMESTAMP, VISITORID, EVENT, ITEMID, TRANSACTIONID)
ID_FIELDS: tuple[str, ...] = (TIMESTAMP, VISITORID, ITEMID)
EVENT_TYPES: tuple[str, ...] = ("view", "addtocart", "transaction")
TRANSACTION = "transaction"


def event_schema() -> pa.Schema:
    """The decoded Kafka message: the five CSV fields plus seq and source."""
    import pyarrow as pa

    return pa.schema(
        [
            (TIMESTAMP, pa.int64()),
            (VISITORID, pa.int64()),
            (EVENT, pa.string()),
            (ITEMID, pa.int64()),
            (TRANSACTIONID, pa.int64()),
            (SEQ, pa.int64()),
            (SOURCE, pa.string()),
        ]
    )


def batch_schema() -> pa.Schema:
    """Columns of a stored batch (docs/contracts.md)."""
    import pyarrow as pa

    return event_schema().append(pa.field(KAFKA_PARTITION, pa.int32())).append(
        pa.field(KAFKA_OFFSET, pa.int64())
    )
