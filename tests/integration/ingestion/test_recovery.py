"""Crashes, broker restarts, consumer groups and replays: every valid event exactly once."""

from __future__ import annotations

import itertools
import json
import signal
import time
from pathlib import Path

import pytest

from ingestion.batch_index import list_batches
from tests.integration.ingestion.conftest import (
    Isolated,
    consume,
    events_file,
    produce,
    read_batches,
)


def _assert_exactly_once(isolated: Isolated, n: int) -> list[object]:
    entries, rows = read_batches(isolated.settings)
    seqs = rows["seq"].to_pylist()
    assert len(seqs) == n, f"{len(seqs)} rows stored for {n} events"
    assert set(seqs) == set(range(1, n + 1))
    assert [e.number for e in entries] == list(range(1, len(entries) + 1))
    by_partition: dict[int, list[tuple[int, int]]] = {}
    for e in entries:
        by_partition.setdefault(e.partition, []).append(tuple(e.offsets[str(e.partition)]))
    for ranges in by_partition.values():
        ranges.sort()
        for (_, last), (first, _) in itertools.pairwise(ranges):
            assert first == last + 1, f"offset ranges not contiguous: {ranges}"
    return entries


def _wait_for_batches(isolated: Isolated, at_least: int, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if len(list_batches(isolated.settings)) >= at_least:
            return
        time.sleep(0.2)
    pytest.fail(f"fewer than {at_least} batches after {timeout_s}s")


@pytest.mark.slow
def test_consumer_killed_mid_batch_and_restarted_stores_each_event_once(
    isolated: Isolated, tmp_path: Path
) -> None:
    n = 40_000
    produce(isolated.settings, events_file(tmp_path / "e.csv", n))
    for kill_after in (2, 5):
        proc = isolated.cli("consume", "--batch-size", "2000", "--json")
        _wait_for_batches(isolated, kill_after)
        time.sleep(0.05 * kill_after)  # somewhere inside the next batch
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    proc = isolated.cli("consume", "--batch-size", "2000", "--until-idle", "4", "--json")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["events"] < n  # the killed runs had stored some already
    assert summary["duplicates"] == 0
    _assert_exactly_once(isolated, n)


@pytest.mark.slow
def test_broker_restart_while_producing_loses_and_doubles_nothing(
    isolated: Isolated, tmp_path: Path
) -> None:
    from infra import stack
    from infra.services import KafkaService

    n = 30_000
    path = events_file(tmp_path / "e.csv", n)
    proc = isolated.cli("produce", "--file", str(path), "--rate", "6000", "--json")
    time.sleep(2.0)
    kafka = KafkaService(isolated.settings)
    assert proc.poll() is None, "the producer finished before the broker went away"
    try:
        stack.stop(kafka)
        time.sleep(2.0)
    finally:
        stack.start(kafka)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert (summary["sent"], summary["rejected"]) == (n, 0)
    result = consume(isolated.settings)
    assert result.duplicates == 0  # idempotent producer: retries wrote no copies
    _assert_exactly_once(isolated, n)


@pytest.mark.slow
@pytest.mark.parametrize("join", ["before_data", "mid_stream"])
def test_two_consumers_in_one_group_split_without_overlap_or_gap(
    isolated: Isolated, tmp_path: Path, join: str
) -> None:
    n = 40_000
    argv = ("consume", "--batch-size", "3000", "--until-idle", "8", "--json")
    if join == "before_data":
        procs = [isolated.cli(*argv), isolated.cli(*argv)]
        time.sleep(3)
        produce(isolated.settings, events_file(tmp_path / "e.csv", n))
    else:  # the second joins while the first holds partly filled batches: a rebalance
        produce(isolated.settings, events_file(tmp_path / "e.csv", n))
        procs = [isolated.cli(*argv)]
        _wait_for_batches(isolated, 2)
        procs.append(isolated.cli(*argv))
    summaries = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        summaries.append(json.loads(out))
    entries = _assert_exactly_once(isolated, n)
    assert sum(s["events"] for s in summaries) == n
    assert sum(s["duplicates"] for s in summaries) == 0
    if join == "before_data":
        assert all(s["events"] > 0 for s in summaries), summaries
    assert len({e.key for e in entries}) == len(entries)


def test_producing_the_same_file_twice_does_not_double_training_rows(
    isolated: Isolated, tmp_path: Path
) -> None:
    n = 12_000
    path = events_file(tmp_path / "e.csv", n)
    first = produce(isolated.settings, path)
    produce(isolated.settings, path)
    result = consume(isolated.settings)
    assert result.duplicates == n
    assert result.events == n
    # a third replay, consumed later by a fresh consumer process, is dropped too
    produce(isolated.settings, path, limit=5_000)
    again = consume(isolated.settings, until_idle=3)
    assert (again.events, again.duplicates) == (0, 5_000)
    entries = _assert_exactly_once(isolated, n)
    assert all(set(e.seq_hwm) == {first.source} for e in entries)
