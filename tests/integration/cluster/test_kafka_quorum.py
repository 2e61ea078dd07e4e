"""Kafka's 3-node quorum: a broker SIGKILLed while producing, a consumer SIGKILLed in a group.

Topics of the cluster profile have replication factor 3 and min.insync.replicas 2, and the
producer sends with acks=all: with one broker gone every event is still acknowledged by two.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from infra import stack
from infra.process import live_pid
from infra.services import KafkaService
from shopstream.kafka_clients import client_config
from shopstream.settings import Settings
from tests.integration.cluster.conftest import Cluster, assert_each_event_once, wait_for
from tests.integration.ingestion.conftest import consume, events_file, produce

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

PRODUCE_EVENTS = 200_000
PRODUCE_RATE = 20_000  # events/s: ~10 s of producing, so the kill lands in the middle
GROUP_EVENTS = 60_000
KILLED_NODE = 2


def _acked_so_far(settings: Settings) -> int:
    """Events the brokers hold in the topic (sum of the partitions' end offsets)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**client_config(settings, group_id=None))
    try:
        parts = consumer.partitions_for_topic(settings.topic) or set()
        ends = consumer.end_offsets([TopicPartition(settings.topic, p) for p in parts])
        return sum(ends.values())
    finally:
        consumer.close()


def _isr(settings: Settings, topics: list[str]) -> dict[tuple[str, int], list[int]]:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(**client_config(settings))
    try:
        return {(t["name"], p["partition_index"]): sorted(p["isr_nodes"])
                for t in admin.describe_topics(topics) for p in t["partitions"]}
    finally:
        admin.close()


def test_broker_killed_mid_produce_loses_nothing_and_rejoins_every_isr(
        cluster: Cluster, tmp_path: Path) -> None:
    isolated = cluster.isolated()
    s = isolated.settings
    path = events_file(tmp_path / "events.csv", PRODUCE_EVENTS)
    proc = isolated.cli("produce", "--file", str(path), "--rate", str(PRODUCE_RATE), "--json")
    broker = KafkaService(s, KILLED_NODE)
    pid = live_pid(broker.pid_file, broker.marker)
    assert pid is not None
    killed_at = wait_for(lambda: _acked_so_far(s) >= PRODUCE_EVENTS // 5 and _acked_so_far(s),
                         180, "a fifth of the events sent")
    os.kill(pid, signal.SIGKILL)
    assert proc.poll() is None, "the producer finished before the broker was killed"
    out, err = proc.communicate(timeout=600)
    # Every event acknowledged (acks=all by the 2 in-sync replicas left), or the run fails
    # naming how many were not: nothing is dropped without a word.
    assert proc.returncode == 0, f"produce failed with broker {KILLED_NODE} down:\n{err[-3000:]}"
    summary = json.loads(out)
    assert (summary["sent"], summary["rejected"]) == (PRODUCE_EVENTS, 0), summary
    assert killed_at < PRODUCE_EVENTS, "the broker died after the last event"

    stack.start(broker)  # same node id, same log folder: it catches up and rejoins
    expected = [1, 2, 3]
    topics = [s.topic, "__consumer_offsets"]
    wait_for(lambda: all(isr == expected for isr in _isr(s, topics).values()), 180,
             f"broker {KILLED_NODE} back in the ISR of every partition")

    result = consume(s, until_idle=6.0)
    assert result.duplicates == 0
    assert_each_event_once(s, PRODUCE_EVENTS)


def _batches(settings: Settings) -> int:
    from ingestion.batch_index import list_batches

    return len(list_batches(settings))


def test_two_consumers_one_killed_and_restarted_store_each_event_in_one_batch(
        cluster: Cluster, tmp_path: Path) -> None:
    isolated = cluster.isolated(partitions=6)
    s = isolated.settings
    produce(s, events_file(tmp_path / "events.csv", GROUP_EVENTS))
    argv = ("consume", "--batch-size", "2500", "--until-idle", "10", "--json")
    survivor, victim = isolated.cli(*argv), isolated.cli(*argv)
    wait_for(lambda: _batches(s) >= 4, 240, "the first batches stored")
    time.sleep(0.3)  # somewhere inside the next batch
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    restarted = isolated.cli(*argv)
    summaries = []
    for proc in (survivor, restarted):
        out, err = proc.communicate(timeout=400)
        assert proc.returncode == 0, err[-3000:]
        summaries.append(json.loads(out))
    assert sum(x["duplicates"] for x in summaries) == 0, summaries
    assert_each_event_once(s, GROUP_EVENTS)
    from ingestion.batch_index import list_batches

    entries = list_batches(s)
    assert len({e.key for e in entries}) == len(entries)
    assert {e.partition for e in entries} == set(range(6))
