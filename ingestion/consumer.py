"""`shopstream consume`: Kafka → numbered batches in the object store, exactly once.

Order of effects per batch: data object → index entry → offset commit. A crash between any two
leaves state the restart repairs:

* object written, no entry: the restart rebuilds the batch from the same offsets; a full batch
  is byte-identical and lands on the same key, a partial one gets a different key and the
  orphan is deleted when the partition is assigned (BatchWriter.remove_orphans).
* entry written, offsets not committed: on assignment the consumer reads the index, and each
  partition resumes after the highest offset any entry covers; records below it are skipped, so
  no second batch is made of them.

Dedup of replayed files — the chosen layer is this consumer: it keeps, per (partition, source),
the highest ``seq`` stored (``seq_hwm`` in every index entry, reloaded on assignment) and drops
events at or below it, counting them as ``duplicates`` (see partition_state). Training reads
batches through the index, so producing a file twice does not double what it sees. A file
edited and re-sent has a new source id and is not deduplicated here; a read-side drop of exact
duplicate rows is the pipelines' safety net.

Records that fail the schema go to the DLQ topic with a reason before their offsets are
committed (at-least-once there: a crash may repeat a DLQ record, never lose one).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import ConsumerRebalanceListener
from kafka.errors import IllegalStateError

from ingestion import dead_letter
from ingestion.batch_index import IndexCache
from ingestion.batch_writer import BatchWriter
from ingestion.delivery import DeliveryTracker
from ingestion.messages import decode_values
from ingestion.partition_state import PartitionState
from shopstream.contracts import KAFKA_OFFSET, KAFKA_PARTITION
from shopstream.errors import ServiceError
from shopstream.settings import Settings

logger = logging.getLogger(__name__)

POLL_MS = 500


@dataclass(frozen=True)
class ConsumeOptions:
    topic: str
    dlq_topic: str
    batch_size: int = 10_000
    until_idle: float | None = None
    fmt: str = "parquet"
    idle_flush_s: float = 5.0
    max_poll_records: int = 50_000


@dataclass
class ConsumeStats:
    batches: int = 0
    events: int = 0
    rejected: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    """Busy time: from the first record received to the last batch stored."""
    numbers: list[int] = field(default_factory=list)
    first_data: float | None = None
    last_store: float | None = None

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "batches": self.batches, "events": self.events, "rejected": self.rejected,
            "duplicates": self.duplicates, "seconds": round(self.seconds, 3),
            "events_per_s": round(self.events_per_s, 1),
        }


def consumer_config(settings: Settings, options: ConsumeOptions) -> dict[str, Any]:
    from shopstream.kafka_clients import client_config

    return client_config(
        settings,
        **{
        "group_id": settings.consumer_group,
        "client_id": "shopstream-consumer",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": options.max_poll_records,
        "fetch_max_bytes": 64 << 20,
        "max_partition_fetch_bytes": 16 << 20,
        "fetch_min_bytes": 1 << 20,
        "fetch_max_wait_ms": 200,
        "check_crcs": False,  # pure-Python CRC32C is the slowest step; TCP and the broker check
        "max_poll_interval_ms": 600_000,
        },
    )


class BatchConsumer:
    def __init__(self, settings: Settings, options: ConsumeOptions,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        from infra.s3 import s3_client

        self.settings = settings
        self.options = options
        self.should_stop = should_stop
        self.client = s3_client(settings)
        self.index = IndexCache(self.client, settings)
        self.writer = BatchWriter(self.client, settings, options.fmt)
        self.states: dict[int, PartitionState] = {}
        self.stats = ConsumeStats()
        self.on_progress: Callable[[ConsumeStats], None] | None = None
        self._consumer: Any = None
        self._dlq: Any = None
        self._dlq_tracker = DeliveryTracker(330, "dead-letter records")
        self._assigned_at: float | None = None
        self._rebalances: list[tuple[str, list[int]]] = []
        self._dlq_futures: list[Any] = []

    # ---- lifecycle ------------------------------------------------------------------------
    def run(self) -> ConsumeStats:
        self.writer.ensure_bucket()
        self._consumer = _make_consumer(self.settings, self.options)
        self._consumer.subscribe([self.options.topic], listener=_Listener(self))
        try:
            self._loop()
            self._flush(partial=True)
        finally:
            st = self.stats
            if st.first_data is not None and st.last_store is not None:
                st.seconds = max(0.0, st.last_store - st.first_data)
            self._close()
        return self.stats

    def _loop(self) -> None:
        last_data = time.monotonic()
        flushed_idle = True
        while not self.should_stop():
            records = self._consumer.poll(timeout_ms=POLL_MS)
            repositioned = self._apply_rebalances()
            records = {tp: r for tp, r in records.items() if tp.partition not in repositioned}
            now = time.monotonic()
            if records:
                last_data, flushed_idle = now, False
                if self.stats.first_data is None:
                    self.stats.first_data = time.perf_counter()
                for tp, batch in records.items():
                    self._handle(tp.partition, batch)
                self._flush(partial=False)
                continue
            if self._assigned_at is None:
                continue
            idle = now - max(last_data, self._assigned_at)
            if not flushed_idle and idle >= self.options.idle_flush_s:
                self._flush(partial=True)
                flushed_idle = True
            if self.options.until_idle is not None and idle >= self.options.until_idle:
                logger.info("no events for %.1fs; stopping", idle)
                return

    def _close(self) -> None:
        try:
            if self._dlq is not None:
                self._dlq.close(timeout=10)
        finally:
            if self._consumer is not None:
                self._consumer.close(autocommit=False)

    # ---- partitions -----------------------------------------------------------------------
    # kafka-python calls the rebalance listener on its IO thread, where blocking calls are not
    # allowed: the listener only queues the change; `_apply_rebalances` runs it after poll.
    def _apply_rebalances(self) -> set[int]:
        """Apply queued revocations/assignments; returns partitions (re)positioned just now."""
        repositioned: set[int] = set()
        if not self._rebalances:
            return repositioned
        current = {tp.partition for tp in self._consumer.assignment()}
        while self._rebalances:
            kind, partitions = self._rebalances.pop(0)
            if kind == "revoked":
                for partition in partitions:
                    self.states.pop(partition, None)
                    repositioned.discard(partition)
                logger.info("revoked partitions %s", sorted(partitions))
            else:  # a later revocation in the queue may have taken some back already
                owned = [p for p in partitions if p in current]
                self._assign(owned)
                repositioned.update(owned)
        return repositioned

    def _assign(self, partitions: list[int]) -> None:
        """Resume each partition after the highest offset the index covers (or its commit)."""
        from kafka.structs import TopicPartition

        self.index.refresh()
        known = {e.key for e in self.index.entries.values()}
        for partition in partitions:
            tp = TopicPartition(self.options.topic, partition)
            entry = self.index.latest_for(self.options.topic, partition)
            committed = self._consumer.committed(tp)
            start = entry.last_offset() + 1 if entry else (committed or 0)
            position = max(start, committed or 0)
            state = PartitionState(partition, start,
                                   stored_hwm=dict(entry.seq_hwm) if entry else {},
                                   last_consumed=position - 1)
            state.committed = committed if committed is not None else -1
            self.states[partition] = state
            self.writer.remove_orphans(self.options.topic, partition, start - 1, known)
            try:
                self._consumer.seek(tp, position)
            except IllegalStateError:  # revoked meanwhile; the next rebalance event drops it
                logger.info("partition %d was revoked before it could be positioned", partition)
        self._assigned_at = time.monotonic()
        logger.info("assigned partitions %s", sorted(partitions))

    # ---- records --------------------------------------------------------------------------
    def _handle(self, partition: int, records: list[Any]) -> None:
        import pyarrow as pa

        state = self.states.get(partition)
        if state is None:
            return
        records = [r for r in records if r.offset >= state.start]
        if not records:
            return
        decoded = decode_values([r.value for r in records])
        for position, reason in decoded.rejects:
            self._dead_letter(records[position], reason)
        self.stats.rejected += len(decoded.rejects)
        offsets = pa.array([records[i].offset for i in decoded.positions.tolist()], pa.int64())
        table = decoded.table.append_column(
            KAFKA_PARTITION, pa.array([partition] * len(offsets), pa.int32())
        ).append_column(KAFKA_OFFSET, offsets)
        kept, duplicates = state.deduplicate(table)
        self.stats.duplicates += duplicates
        state.add(kept, records[-1].offset)

    def _dead_letter(self, record: Any, reason: str) -> None:
        if self._dlq is None:
            from ingestion.producer import make_producer

            self._dlq = make_producer(self.settings)
        value = dead_letter.consumer_record(record.value, reason, record.topic,
                                            record.partition, record.offset)
        self._dlq_futures.append(self._dlq.send(self.options.dlq_topic, value, record.key))

    # ---- batches and commits ------------------------------------------------------------
    def _flush(self, partial: bool) -> None:
        for state in list(self.states.values()):
            while (cut := state.take(self.options.batch_size, partial)) is not None:
                if self._taken_by_another(state.partition, cut.first):
                    self._assign([state.partition])  # resume after what the other one stored
                    break
                entry = self.writer.store(self.options.topic, state.partition, cut.first,
                                          cut.last, cut.table, cut.seq_hwm)
                state.stored(cut)
                self.stats.batches += 1
                self.stats.events += entry.rows
                self.stats.numbers.append(entry.number)
                self.stats.last_store = time.perf_counter()
            if partial:
                state.skip_consumed()
        self._commit()
        if self.on_progress is not None:
            self.on_progress(self.stats)

    def _taken_by_another(self, partition: int, first: int) -> bool:
        """Fence against a stale owner: has any entry already covered offsets from ``first``?

        After a rebalance the previous owner of a partition may still be finishing a batch; the
        index is the arbiter, so whoever finds the range already stored drops its copy.
        """
        self.index.refresh()
        latest = self.index.latest_for(self.options.topic, partition)
        if latest is None or latest.last_offset() < first:
            return False
        logger.warning("partition %d offsets from %d were stored by another consumer (batch %d);"
                       " dropping this copy", partition, first, latest.number)
        return True

    def _commit(self) -> None:
        from kafka.errors import KafkaError
        from kafka.structs import OffsetAndMetadata, TopicPartition

        offsets = {
            TopicPartition(self.options.topic, s.partition): OffsetAndMetadata(s.start, "", -1)
            for s in self.states.values() if s.start > s.committed
        }
        if not offsets:
            return
        if self._dlq is not None:
            self._dlq.flush(timeout=300)
            futures, self._dlq_futures = self._dlq_futures, []
            self._dlq_tracker.add(futures)
            self._dlq_tracker.confirm_all()
        try:
            self._consumer.commit(offsets)
        except KafkaError as e:  # e.g. a rebalance: the index still protects the batches
            logger.warning("offset commit failed (%s); the index keeps the batches exact", e)
            return
        for tp, meta in offsets.items():
            state = self.states.get(tp.partition)
            if state is not None:
                state.committed = meta.offset


def _make_consumer(settings: Settings, options: ConsumeOptions) -> Any:
    from kafka import KafkaConsumer
    from kafka.errors import KafkaError

    try:
        return KafkaConsumer(**consumer_config(settings, options))
    except KafkaError as e:
        msg = (
            f"cannot connect to Kafka at {settings.kafka_bootstrap}: {e}. Start the local stack "
            "(`shopstream stack up`) or pass --kafka HOST:PORT."
        )
        raise ServiceError(msg) from e


class _Listener(ConsumerRebalanceListener):
    def __init__(self, owner: BatchConsumer) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.owner._rebalances.append(("revoked", [tp.partition for tp in revoked]))

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.owner._rebalances.append(("assigned", [tp.partition for tp in assigned]))
