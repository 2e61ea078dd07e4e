"""Producer → Kafka → consumer → object store: exactly the valid rows, the DLQ exactly the bad."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from ingestion.batch_index import select_batches
from shopstream.contracts import batch_schema
from tests.integration.ingestion.conftest import (
    Isolated,
    consume,
    dlq_records,
    file_with_bad_lines,
    produce,
    read_batches,
)


def test_valid_rows_reach_batches_and_bad_lines_the_dlq(isolated: Isolated,
                                                        tmp_path: Path) -> None:
    s = isolated.settings
    path, bad = file_with_bad_lines(tmp_path / "events.csv", 50_000, 500)
    stats = produce(s, path)
    assert (stats.sent, stats.rejected) == (50_000, 500)

    result = consume(s)
    assert (result.events, result.rejected, result.duplicates) == (50_000, 0, 0)
    entries, rows = read_batches(s)
    assert rows.num_rows == 50_000
    bad_seqs = {line - 1 for line in bad}
    assert set(rows["seq"].to_pylist()) == set(range(1, 50_501)) - bad_seqs
    assert pc.unique(rows["source"]).to_pylist() == [stats.source]
    assert rows.schema.names == batch_schema().names
    assert sum(e.rows for e in entries) == 50_000
    assert [e.number for e in entries] == list(range(1, len(entries) + 1))
    assert all(e.rows <= 10_000 for e in entries)

    dead = dlq_records(s, 500)
    assert len(dead) == 500
    assert {d["line_number"]: d["reason"] for d in dead} == bad
    assert all(d["stage"] == "producer" and d["source"] == stats.source for d in dead)
    lines = path.read_text().split("\n")
    assert all(d["raw"] == lines[d["line_number"] - 1] for d in dead)


def test_foreign_messages_go_to_the_dlq_from_the_consumer(isolated: Isolated) -> None:
    from kafka import KafkaProducer

    s = isolated.settings
    good = {"timestamp": 1, "visitorid": 2, "event": "view", "itemid": 3,
            "transactionid": None, "seq": 1, "source": "foreign"}
    producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap, acks="all")
    values = [json.dumps(good).encode(), b"{not json", json.dumps({**good, "seq": 2,
              "event": "click"}).encode(), json.dumps({**good, "seq": 3}).encode()]
    for v in values:
        producer.send(s.topic, v, key=b"2").get(30)
    producer.close()

    result = consume(s, until_idle=3)
    assert (result.events, result.rejected) == (2, 2)
    _, rows = read_batches(s)
    assert sorted(rows["seq"].to_pylist()) == [1, 3]
    reasons = sorted(d["reason"] for d in dlq_records(s, 2))
    assert reasons[0].startswith("unknown event type 'click'")
    assert reasons[1].startswith("value is not JSON")


def test_csv_batches_and_selection(isolated: Isolated, tmp_path: Path) -> None:
    from tests.integration.ingestion.conftest import events_file

    s = isolated.settings
    path = events_file(tmp_path / "e.csv", 2_500)
    produce(s, path)
    result = consume(s, until_idle=3, batch_size=1_000, fmt="csv")
    assert result.events == 2_500
    entries, rows = read_batches(s)
    assert {e.format for e in entries} == {"csv"}
    assert all(e.key.endswith(".csv") for e in entries)
    assert sorted(rows["seq"].to_pylist()) == list(range(1, 2_501))
    chosen = select_batches(s, "2-3")
    assert [e.number for e in chosen] == [2, 3]
    assert chosen[0].uri(s) == f"s3a://{s.events_bucket}/{chosen[0].key}"
    assert len(select_batches(s, None)) == len(entries)


@pytest.mark.parametrize("sample", ["events_random_50k.csv", "events_by_visitor_sample.csv",
                                    "events_active_visitors.csv"])
def test_real_retailrocket_rows_have_zero_rejects(isolated: Isolated, real_sample_dir: Path,
                                                  sample: str) -> None:
    s = isolated.settings
    path = real_sample_dir / sample
    n_rows = sum(1 for _ in path.open()) - 1
    stats = produce(s, path)
    assert (stats.sent, stats.rejected) == (n_rows, 0)
    result = consume(s, until_idle=3)
    assert (result.events, result.rejected, result.duplicates) == (n_rows, 0, 0)
    _, rows = read_batches(s)
    assert sorted(rows["seq"].to_pylist()) == list(range(1, n_rows + 1))
    transactions = pc.equal(rows["event"], "transaction")
    assert pc.all(pc.equal(pc.is_valid(rows["transactionid"]), transactions)).as_py()


@pytest.mark.slow
def test_unreachable_broker_fails_with_a_message(isolated: Isolated, real_sample_dir: Path) -> None:
    proc = isolated.cli("--kafka", "127.0.0.1:1", "produce", "--file",
                        str(real_sample_dir / "events_sample.csv"), "--json")
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 1
    assert out == ""  # no half summary on stdout
    assert "cannot connect to Kafka at 127.0.0.1:1" in err


def test_cli_json_is_exactly_one_object(isolated: Isolated, real_sample_dir: Path) -> None:
    proc = isolated.cli("produce", "--file", str(real_sample_dir / "events_sample.csv"),
                        "--json")
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    payload = json.loads(out)
    assert set(payload) == {"sent", "rejected", "seconds", "events_per_s"}
    assert payload["sent"] == 3_240
    proc = isolated.cli("consume", "--until-idle", "3", "--json")
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    payload = json.loads(out)
    assert set(payload) == {"batches", "events", "rejected", "duplicates", "seconds",
                            "events_per_s"}
    assert payload["events"] == 3_240
    proc = isolated.cli("batches", "--json")
    out, _ = proc.communicate(timeout=60)
    listing = json.loads(out)
    assert listing["total_rows"] == 3_240
    assert [b["number"] for b in listing["batches"]] == list(range(1, len(listing["batches"]) + 1))
    assert {"number", "key", "format", "rows", "offsets", "min_ts", "max_ts", "sha256",
            "created_at"} <= set(listing["batches"][0])


def test_producer_workers_keep_exactness_and_partition_order(isolated: Isolated,
                                                             tmp_path: Path) -> None:
    s = isolated.settings
    path, bad = file_with_bad_lines(tmp_path / "events.csv", 8_000, 40)
    proc = isolated.cli("produce", "--file", str(path), "--workers", "2", "--json")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert json.loads(out)["sent"] == 8_000
    assert json.loads(out)["rejected"] == 40  # counted (and dead-lettered) once, not per worker
    result = consume(s, until_idle=3)
    assert (result.events, result.duplicates) == (8_000, 0)
    _, rows = read_batches(s)
    assert set(rows["seq"].to_pylist()) == set(range(1, 8_041)) - {n - 1 for n in bad}
    for partition in range(4):
        part = rows.filter(pc.equal(rows["kafka_partition"], partition)).sort_by("kafka_offset")
        seqs = part["seq"].to_pylist()
        assert seqs == sorted(seqs), "a partition's events are not in file order"
    assert len(dlq_records(s, 40)) == 40
