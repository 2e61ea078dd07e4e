"""Helpers for ingestion tests on the real broker and object store (never mocks).

Each test gets its own topic, DLQ topic, consumer group and bucket (`isolated`), so tests and
other engineers' runs never see each other's events.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from shopstream.settings import Settings
from tests.conftest import unique

REPO = Path(__file__).resolve().parents[3]
SHOPSTREAM = str(REPO / ".venv" / "bin" / "shopstream")
HEADER = "timestamp,visitorid,event,itemid,transactionid\n"


@dataclass(frozen=True)
class Isolated:
    settings: Settings

    @property
    def env(self) -> dict[str, str]:
        s = self.settings
        return {
            **os.environ,
            "SHOPSTREAM_TOPIC": s.topic,
            "SHOPSTREAM_DLQ_TOPIC": s.dlq_topic,
            "SHOPSTREAM_EVENTS_BUCKET": s.events_bucket,
            "SHOPSTREAM_CONSUMER_GROUP": s.consumer_group,
        }

    def cli(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([SHOPSTREAM, *args], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=REPO)


@pytest.fixture
def isolated(live_stack: Settings) -> Iterator[Isolated]:
    from infra.s3 import ensure_buckets

    name = unique("ingest")
    settings = live_stack.model_copy(update={
        "topic": name, "dlq_topic": f"{name}-dlq", "events_bucket": name,
        "consumer_group": f"{name}-group",
    })
    ensure_buckets(settings, (name,))
    yield Isolated(settings)


def events_file(path: Path, n: int, seed: int = 7) -> Path:
    """A generated events file (the generator's API when present, else a synthetic one)."""
    try:
        from ingestion.synthetic import write_events_csv
    except ImportError:
        rng = random.Random(seed)
        with path.open("w") as fh:
            fh.write(HEADER)
            for i in range(n):
                event = rng.choices(["view", "addtocart", "transaction"], [96, 3, 1])[0]
                tid = str(rng.randint(0, 20000)) if event == "transaction" else ""
                fh.write(f"{1433221332117 + i * 997},{rng.randint(0, 1407579)},{event},"
                         f"{rng.randint(0, 466867)},{tid}\n")
        return path
    write_events_csv(path, n, seed, force=True)
    return path


BAD_LINES: list[tuple[str, str]] = [
    ("1433221332117,257597,view,355908", "expected 5 fields, got 4"),
    ("1433221332117,257597,view,355908,,", "expected 5 fields, got 6"),
    ("1433221332117,257597,click,355908,", "unknown event type 'click'"),
    ("1433221332117,,view,355908,", "missing visitorid"),
    ("1433221332117,-5,view,355908,", "negative visitorid: -5"),
    ("1433221332117,5,view,-1,", "negative itemid: -1"),
    ("1433221332117,14418.5,view,355908,", "visitorid is not an integer: '14418.5'"),
    ("abc,257597,view,355908,", "timestamp is not an integer: 'abc'"),
    ("1433221332117,257597,view,355908,123", "transactionid on a view event"),
    ("1433221332117,257597,transaction,355908,", "transaction event without a transactionid"),
    ("", "empty line"),
    ('1433221332117,"257597,view,355908,', "unparseable CSV: unexpected end of data"),
    ("garbage", "expected 5 fields, got 1"),
    ("1433221332117,257597,addtocart,355908,5.5", "transactionid is not an integer: '5.5'"),
    ("1433221332117,257597,addtocart,355908,77", "transactionid on a addtocart event"),
    ("1433221332117.5,257597,view,355908,", "timestamp is not an integer: '1433221332117.5'"),
]


def file_with_bad_lines(path: Path, n_valid: int, n_bad: int,
                        seed: int = 11) -> tuple[Path, dict[int, str]]:
    """A generated file with n_bad malformed lines spliced in; returns {line_number: reason}."""
    clean = events_file(path.with_suffix(".clean.csv"), n_valid, seed)
    lines = clean.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    rng = random.Random(seed)
    bad_at = sorted(rng.sample(range(len(rows) + n_bad), n_bad))
    out, expected, it, bad_i = [header], {}, iter(rows), 0
    for pos in range(len(rows) + n_bad):
        if bad_i < len(bad_at) and bad_at[bad_i] == pos:
            text, reason = BAD_LINES[bad_i % len(BAD_LINES)]
            out.append(text)
            expected[pos + 2] = reason
            bad_i += 1
        else:
            out.append(next(it))
    path.write_text("\n".join(out) + "\n")
    return path, expected


def read_batches(settings: Settings) -> tuple[list[Any], pa.Table]:
    """(index entries, all batch rows) through the index, as training reads them."""
    import io

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from infra.s3 import s3_client
    from ingestion.batch_index import list_batches

    client = s3_client(settings)
    entries = list_batches(settings)
    tables = []
    for e in entries:
        body = client.get_object(Bucket=settings.events_bucket, Key=e.key)["Body"].read()
        if e.format == "parquet":
            tables.append(pq.read_table(io.BytesIO(body)))
        else:
            tables.append(pacsv.read_csv(io.BytesIO(body)))
    if not tables:
        return entries, pa.table({"seq": pa.array([], pa.int64())})
    return entries, pa.concat_tables(tables, promote_options="permissive")


def read_topic(settings: Settings, topic: str, expected: int, timeout_s: float = 60) -> list[Any]:
    """Every record of a topic (no group), waiting until ``expected`` arrived or timeout."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest")
    try:
        deadline = time.monotonic() + timeout_s
        parts = None
        while parts is None and time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(topic)
            if parts is None:
                time.sleep(0.5)
        if parts is None:
            return []
        consumer.assign([TopicPartition(topic, p) for p in parts])
        consumer.seek_to_beginning()
        records: list[Any] = []
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
            if len(records) >= expected:
                # one more poll to catch anything beyond the expectation
                for batch in consumer.poll(timeout_ms=1500).values():
                    records.extend(batch)
                break
        return records
    finally:
        consumer.close()


def dlq_records(settings: Settings, expected: int) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in read_topic(settings, settings.dlq_topic, expected)]


def consume(settings: Settings, until_idle: float = 4.0, batch_size: int = 10_000,
            fmt: str = "parquet") -> Any:
    """Run the consumer in-process until the topic has been idle for ``until_idle`` seconds."""
    from ingestion.consumer import BatchConsumer, ConsumeOptions

    options = ConsumeOptions(topic=settings.topic, dlq_topic=settings.dlq_topic,
                             batch_size=batch_size, until_idle=until_idle, fmt=fmt,
                             idle_flush_s=1.0)
    return BatchConsumer(settings, options).run()


def produce(settings: Settings, path: Path, **kwargs: Any) -> Any:
    from ingestion.producer import ProduceOptions, produce_file

    return produce_file(settings, ProduceOptions(path=path, topic=settings.topic,
                                                 dlq_topic=settings.dlq_topic, **kwargs))


def python() -> str:
    return sys.executable
