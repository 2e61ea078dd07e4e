"""Store one batch: the data object (Parquet or CSV), then its index entry.

Object key: ``{prefix}/{topic}/p{partition:03d}/{first:012d}-{last:012d}.{parquet|csv}``, the
Kafka offsets it covers. A batch holds the accepted events of one partition between two offsets;
its content is a function of the partition's log and of the index (which fixes the dedup state
at ``first``), so rewriting a batch after a crash writes the same bytes to the same key.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ingestion import batch_numbers
from ingestion.batch_index import BatchEntry, write_entry
from ingestion.errors import BatchStoreError
from shopstream.contracts import TIMESTAMP, batch_schema
from shopstream.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)

FORMATS = ("parquet", "csv")


def partition_prefix(settings: Settings, topic: str, partition: int) -> str:
    return f"{settings.batches_prefix.strip('/')}/{topic}/p{partition:03d}/"


def batch_key(settings: Settings, topic: str, partition: int, first: int, last: int,
              fmt: str) -> str:
    return f"{partition_prefix(settings, topic, partition)}{first:012d}-{last:012d}.{fmt}"


def serialize(table: pa.Table, fmt: str) -> bytes:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    table = table.cast(batch_schema())
    if fmt == "parquet":
        pq.write_table(table, buffer, compression="snappy")
    elif fmt == "csv":
        pacsv.write_csv(table, buffer)
    else:
        msg = f"unknown batch format {fmt!r}; choose one of {FORMATS}"
        raise BatchStoreError(msg)
    return buffer.getvalue()


class BatchWriter:
    def __init__(self, client: S3Client, settings: Settings, fmt: str = "parquet") -> None:
        if fmt not in FORMATS:
            msg = f"unknown batch format {fmt!r}; choose one of {FORMATS}"
            raise BatchStoreError(msg)
        self.client = client
        self.settings = settings
        self.fmt = fmt

    def ensure_bucket(self) -> None:
        from infra.s3 import ensure_buckets

        ensure_buckets(self.settings, (self.settings.events_bucket,))

    def store(self, topic: str, partition: int, first: int, last: int, table: pa.Table,
              seq_hwm: dict[str, int]) -> BatchEntry:
        """Write the object, claim a number, write the index entry; returns the entry."""
        import pyarrow.compute as pc
        from botocore.exceptions import BotoCoreError, ClientError

        key = batch_key(self.settings, topic, partition, first, last, self.fmt)
        body = serialize(table, self.fmt)
        claimant = batch_numbers.claimant_id(topic, partition, first)
        try:
            self.client.put_object(Bucket=self.settings.events_bucket, Key=key, Body=body)
            number = batch_numbers.allocate(self.client, self.settings, claimant)
            bounds = pc.min_max(table[TIMESTAMP])
            entry = BatchEntry(
                number=number, key=key, format=self.fmt, rows=table.num_rows,
                offsets={str(partition): [first, last]},
                min_ts=bounds["min"].as_py(), max_ts=bounds["max"].as_py(),
                sha256=hashlib.sha256(body).hexdigest(),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                topic=topic, partition=partition, seq_hwm=dict(seq_hwm),
            )
            write_entry(self.client, self.settings, entry)
            batch_numbers.release(self.client, self.settings, number, claimant)
        except (BotoCoreError, ClientError) as e:
            msg = (
                f"could not store batch {key} in s3://{self.settings.events_bucket} at "
                f"{self.settings.s3_endpoint}: {e}. Nothing was committed; check the object "
                "store (`shopstream stack status`) and run the consumer again."
            )
            raise BatchStoreError(msg) from e
        logger.debug("stored batch %d: %s (%d rows)", number, key, table.num_rows)
        return entry

    def remove_orphans(self, topic: str, partition: int, after: int, known: set[str]) -> int:
        """Delete objects of a partition that start after ``after`` and no entry names.

        They are left by a consumer that died between writing a batch and indexing it; the
        caller owns the partition, so nobody else writes there.
        """
        prefix = partition_prefix(self.settings, topic, partition)
        listing = self.client.list_objects_v2(
            Bucket=self.settings.events_bucket, Prefix=prefix, StartAfter=f"{prefix}{after:012d}~"
        )
        removed = 0
        for obj in listing.get("Contents", []):
            name = obj["Key"][len(prefix):]
            try:
                first = int(name.split("-", 1)[0])
            except ValueError:
                continue
            if first > after and obj["Key"] not in known:
                self.client.delete_object(Bucket=self.settings.events_bucket, Key=obj["Key"])
                removed += 1
                logger.info("removed unindexed batch object %s (left by a crash)", obj["Key"])
        return removed
