"""`shopstream produce`: send every valid row of an events file to Kafka, bad rows to the DLQ.

Per block of the file (a few MB of raw lines, see csv_blocks): validate vectorised
(validation), encode all JSON values at once (messages), compute the default partitioner's
choice for all keys at once (partitioning), then one tight ``send`` loop with explicit
partitions. kafka-python runs idempotent (acks=all, retries keep order), gzip-compressed
(the only codec it has without extra packages) with large batches. Every future is checked
(delivery), and a failure ends the run with a non-zero exit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka.errors import KafkaError

from infra.topics import ensure_topics
from ingestion import dead_letter
from ingestion.csv_blocks import DEFAULT_BLOCK_BYTES, iter_blocks, read_header, source_id
from ingestion.delivery import DeliveryTracker
from ingestion.errors import DeliveryError, InputFileError
from ingestion.messages import encode_block
from ingestion.pacing import Pacer
from ingestion.partitioning import partitions_for
from ingestion.validation import parse_lines
from shopstream.contracts import TIMESTAMP, VISITORID
from shopstream.errors import ServiceError
from shopstream.settings import Settings

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_MS = 300_000
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class ProduceOptions:
    path: Path
    topic: str
    dlq_topic: str
    pacer: Pacer = field(default_factory=Pacer)
    limit: int | None = None
    block_bytes: int = DEFAULT_BLOCK_BYTES
    shard: tuple[int, int] | None = None
    """(i, n): send only partitions p with p % n == i (see producer_workers)."""


@dataclass
class ProduceStats:
    sent: int = 0
    rejected: int = 0
    seconds: float = 0.0
    source: str = ""

    @property
    def events_per_s(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 3),
            "events_per_s": round(self.events_per_s, 1),
        }


def producer_config(settings: Settings) -> dict[str, Any]:
    from kafka.codec import has_gzip

    from shopstream.kafka_clients import client_config

    return client_config(
        settings,
        **{
        "client_id": "shopstream-producer",
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": "gzip" if has_gzip() else None,
        "batch_size": 256 * 1024,
        "linger_ms": 20,
        "max_request_size": 8 << 20,
        "delivery_timeout_ms": DELIVERY_TIMEOUT_MS,
        "request_timeout_ms": 30_000,
        },
    )


def make_producer(settings: Settings) -> Any:
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    try:
        return KafkaProducer(**producer_config(settings))
    except KafkaError as e:
        msg = (
            f"cannot connect to Kafka at {settings.kafka_bootstrap}: {e}. Start the local stack "
            "(`shopstream stack up`) or pass --kafka HOST:PORT."
        )
        raise ServiceError(msg) from e


def topic_partitions(producer: Any, topic: str) -> list[int]:
    """The topic's partition ids (the topic exists: produce_file created it if missing)."""
    partitions = producer.partitions_for(topic)
    if not partitions:
        msg = f"Kafka returned no partitions for topic {topic!r}"
        raise ServiceError(msg)
    return sorted(partitions)


def produce_file(
    settings: Settings, options: ProduceOptions, progress: Progress | None = None
) -> ProduceStats:
    """Send the file; returns counts. Raises DeliveryError when any send is not acknowledged."""
    path = options.path
    if not path.is_file():
        msg = f"events file {path} not found. Pass --file, or run `shopstream generate` first."
        raise InputFileError(msg)
    order, has_header = read_header(path)
    stats = ProduceStats(source=source_id(path))
    ensure_topics(settings, (options.topic, options.dlq_topic))
    producer = make_producer(settings)
    started = time.perf_counter()
    try:
        _send_file(producer, options, order, has_header, stats, progress)
    except KafkaError as e:
        msg = (
            f"Kafka at {settings.kafka_bootstrap} failed while sending ({e!r}); rows after the "
            f"last acknowledged one may be missing. Check the broker and run the same command "
            f"again: the consumer drops events it already stored (same source and seq)."
        )
        raise DeliveryError(msg) from e
    finally:
        producer.close(timeout=10)
    stats.seconds = time.perf_counter() - started
    logger.info("sent %d events, rejected %d, in %.1fs", stats.sent, stats.rejected,
                stats.seconds)
    return stats


def _send_file(producer: Any, options: ProduceOptions, order: tuple[str, ...],
               has_header: bool, stats: ProduceStats, progress: Progress | None) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    partitions = topic_partitions(producer, options.topic)
    tracker = DeliveryTracker(DELIVERY_TIMEOUT_MS / 1000 + 30)
    clock = _Clock()
    for block in iter_blocks(options.path, has_header=has_header, limit=options.limit,
                             block_bytes=options.block_bytes):
        parsed = parse_lines(block.lines, block.first_seq, block.first_line_number, order)
        rejects = parsed.rejects if options.shard is None or options.shard[0] == 0 else []
        futures = _send_rejects(producer, options, rejects, stats.source)
        table = parsed.table
        parts = partitions_for(pc.cast(table[VISITORID], pa.string()), partitions)
        if options.shard is not None:
            mine = parts % options.shard[1] == options.shard[0]
            table, parts = table.filter(pa.array(mine)), parts[mine]
        encoded = encode_block(table, stats.source)
        targets = options.pacer.targets(table[TIMESTAMP].to_numpy())
        futures += _send_block(producer, options.topic, encoded.keys.to_pylist(),
                               encoded.values, parts.tolist(), targets, clock)
        tracker.add(futures)
        stats.sent += len(encoded.values)
        stats.rejected += len(rejects)
        if progress is not None:
            progress(block.nbytes, stats.sent, stats.rejected)
    producer.flush(timeout=DELIVERY_TIMEOUT_MS / 1000)
    tracker.confirm_all()


def _send_rejects(producer: Any, options: ProduceOptions, rejects: Sequence[Any],
                  source: str) -> list[Any]:
    key = source.encode()
    file = str(options.path)
    return [
        producer.send(options.dlq_topic, dead_letter.producer_record(r, source, file), key)
        for r in rejects
    ]


class _Clock:
    """Seconds since the first paced send."""

    def __init__(self) -> None:
        self.start: float | None = None

    def now(self) -> float:
        if self.start is None:
            self.start = time.monotonic()
        return time.monotonic() - self.start


def _send_block(producer: Any, topic: str, keys: list[bytes], values: list[bytes],
                parts: list[int], targets: Any, clock: _Clock) -> list[Any]:
    send = producer.send
    if targets is None:
        return [send(topic, v, k, None, p) for k, v, p in zip(keys, values, parts, strict=True)]
    import numpy as np

    futures: list[Any] = []
    i, n = 0, len(values)
    while i < n:
        now = clock.now()
        due = int(np.searchsorted(targets, now, side="right"))
        if due <= i:
            time.sleep(min(float(targets[i]) - now, 0.5))
            continue
        futures.extend(send(topic, values[j], keys[j], None, parts[j]) for j in range(i, due))
        i = due
    return futures
