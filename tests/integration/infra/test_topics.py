"""Project topics are created explicitly, with the configured partitions, before any produce."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from infra.topics import ensure_topics
from shopstream.settings import Settings
from tests.conftest import unique


def _partitions(settings: Settings, topic: str) -> int:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        return len(consumer.partitions_for_topic(topic) or ())
    finally:
        consumer.close()


def test_ensure_topics_creates_the_missing_ones_once(live_stack: Settings) -> None:
    name = unique("it-topics")
    settings = live_stack.model_copy(update={"topic": name, "dlq_topic": f"{name}-dlq",
                                             "topic_partitions": 3})
    assert ensure_topics(settings) == [name, f"{name}-dlq"]
    assert ensure_topics(settings) == []  # idempotent: nothing left to create
    assert _partitions(settings, name) == 3
    assert _partitions(settings, f"{name}-dlq") == 3


def test_produce_to_a_new_topic_logs_no_error(live_stack: Settings, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """kafka-python logs "Topic … not found in cluster metadata" at ERROR when the producer
    asks for a topic the broker does not have yet; the producer creates its topics first."""
    from ingestion.producer import ProduceOptions, produce_file
    from tests.integration.ingestion.conftest import events_file

    name = unique("it-fresh")
    settings = live_stack.model_copy(update={"topic_partitions": 2})
    path = events_file(tmp_path / "events.csv", 200)
    options = ProduceOptions(path=path, topic=name, dlq_topic=f"{name}-dlq")
    # The stack's readiness probe turns the "kafka" logger down; listen to it again here.
    with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, logger="kafka"):
        stats = produce_file(settings, options)
    assert stats.sent == 200
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert any("created Kafka topic" in r.getMessage() for r in caplog.records)
    assert _partitions(settings, name) == 2
