"""Ingestion benchmark: our producer and consumer against an original-style producer, Kafka's
own ProducerPerformance and a kafka-python-only loop, on the local broker and object store.

    .venv/bin/python bench/ingestion_bench.py                 # full size (2,756,101 rows)
    .venv/bin/python bench/ingestion_bench.py --rows 300000   # a quicker run

Every measured program runs as its own subprocess (psutil samples its peak RSS). The
original-style producer (pandas iterrows + json.dumps + one send per row, kafka-python defaults)
is run on the first --original-rows rows and its rate extrapolated to the file, as the note in
the results says. Results: one table on stdout and bench/results/ingestion.json (the README table
is generated from it by bench/report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
SHOPSTREAM = str(ROOT / ".venv" / "bin" / "shopstream")
RESULTS = ROOT / "bench" / "results" / "ingestion.json"
RAW = ROOT / "bench" / "results" / "ingestion_raw.json"
FULL_ROWS = 2_756_101

ORIGINAL_STYLE = r"""
import json, sys, time
import pandas as pd
from kafka import KafkaProducer
path, topic, rows, servers = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
df = pd.read_csv(path, nrows=rows)
producer = KafkaProducer(bootstrap_servers=servers,
                         value_serializer=lambda v: json.dumps(v).encode("utf-8"))
start = time.perf_counter()
for _, row in df.iterrows():
    producer.send(topic, value=row.to_dict())
producer.flush()
seconds = time.perf_counter() - start
print(json.dumps({"sent": len(df), "seconds": seconds, "events_per_s": len(df) / seconds}))
"""

KAFKA_PYTHON_ONLY = r"""
import json, sys, time
from kafka import KafkaProducer
sys.path.insert(0, sys.argv[4])
from ingestion.producer import producer_config
from shopstream.settings import Settings
topic, n = sys.argv[1], int(sys.argv[2])
config = producer_config(Settings(kafka_bootstrap_servers=sys.argv[3]))
producer = KafkaProducer(**config)
parts = sorted(producer.partitions_for(topic))
value = (b'{"timestamp":1433221332117,"visitorid":257597,"event":"view","itemid":355908,'
         b'"transactionid":null,"seq":1,"source":"9f2c0123456789ab"}')
keys = [str(i * 7919 % 1407580).encode() for i in range(n)]
pick = [parts[i % len(parts)] for i in range(n)]
start = time.perf_counter()
futures = [producer.send(topic, value, k, None, p) for k, p in zip(keys, pick)]
producer.flush()
seconds = time.perf_counter() - start
assert all(f.succeeded() for f in futures)
print(json.dumps({"sent": n, "seconds": seconds, "events_per_s": n / seconds}))
"""

KAFKA_PYTHON_CONSUME = r"""
import json, sys, time
from kafka import KafkaConsumer, TopicPartition
topic, n, servers = sys.argv[1], int(sys.argv[2]), sys.argv[3]
consumer = KafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False,
                         max_poll_records=50_000, fetch_max_bytes=64 << 20,
                         max_partition_fetch_bytes=16 << 20, check_crcs=False)
consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
consumer.seek_to_beginning()
seen, start = 0, time.perf_counter()
while seen < n:
    for records in consumer.poll(timeout_ms=1000).values():
        seen += len([r.value for r in records])
seconds = time.perf_counter() - start
print(json.dumps({"events": seen, "seconds": seconds, "events_per_s": seen / seconds}))
"""

STORE_PATH_ONLY = r"""
import json, sys, time, uuid
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import pyarrow as pa
from infra.s3 import s3_client, ensure_buckets
from ingestion.batch_writer import serialize
from ingestion.csv_blocks import iter_blocks
from ingestion.messages import decode_values, encode_block
from ingestion.partition_state import PartitionState
from ingestion.validation import parse_lines
from shopstream.settings import Settings
path, n = Path(sys.argv[1]), int(sys.argv[2])
values = []
for block in iter_blocks(path, has_header=True, limit=n):
    values += encode_block(parse_lines(block.lines, block.first_seq, 2).table, "s").values
bucket = "bench-store-" + uuid.uuid4().hex[:8]
settings = Settings(events_bucket=bucket)
ensure_buckets(settings, (bucket,))
client, state = s3_client(settings), PartitionState(0, start=0)
start = time.perf_counter()
for i in range(0, len(values), 50_000):
    chunk = values[i:i + 50_000]
    table = decode_values(chunk).table
    table = table.append_column("kafka_partition", pa.array([0] * len(chunk), pa.int32()))
    table = table.append_column("kafka_offset", pa.array(range(i, i + len(chunk)), pa.int64()))
    kept, _ = state.deduplicate(table)
    state.add(kept, i + len(chunk) - 1)
    while (cut := state.take(10_000, partial=i + 50_000 >= len(values))) is not None:
        client.put_object(Bucket=bucket, Key=f"b/{cut.first}.parquet",
                          Body=serialize(cut.table, "parquet"))
        state.stored(cut)
seconds = time.perf_counter() - start
print(json.dumps({"events": len(values), "seconds": seconds,
                  "events_per_s": len(values) / seconds}))
"""


def run_monitored(argv: list[str], env: dict[str, str] | None = None,
                  timeout_s: float = 3600) -> dict[str, Any]:
    """Run a program, sampling the peak RSS of it and its children every 0.1 s."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        if time.perf_counter() - start > timeout_s:
            proc.kill()
        time.sleep(0.1)
    out, err = proc.communicate()
    if proc.returncode != 0:
        msg = f"{argv[:3]} failed ({proc.returncode}):\n{err[-3000:]}"
        raise RuntimeError(msg)
    return {"stdout": out, "stderr": err, "peak_rss_mb": round(peak / 2**20, 1),
            "wall_s": round(time.perf_counter() - start, 2)}


def events_file(rows: int) -> Path:
    path = ROOT / "data" / "bench" / f"events_{rows}.csv"
    try:
        from ingestion.synthetic import write_events_csv
    except ImportError:
        return _synthetic_file(path, rows)
    write_events_csv(path, rows, 42)
    return path


def _synthetic_file(path: Path, rows: int) -> Path:
    """The real file's shape (96.7% views, 2.5% carts, 0.8% transactions) without the generator."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if path.exists():
        return path
    rng = np.random.default_rng(42)
    events = rng.choice(np.array(["view", "addtocart", "transaction"]), rows,
                        p=[0.9667, 0.0252, 0.0081])
    tids = np.where(events == "transaction", rng.integers(0, 17672, rows).astype(str), "")
    table = pa.table({
        "timestamp": np.sort(rng.integers(1430622004384, 1442545187788, rows)),
        "visitorid": rng.integers(0, 1407580, rows), "event": events,
        "itemid": rng.integers(0, 466868, rows), "transactionid": tids,
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))
    return path


def bench_ours(path: Path, topic: str, workers: int = 1) -> dict[str, Any]:
    run = run_monitored([SHOPSTREAM, "produce", "--file", str(path), "--topic", topic,
                         "--workers", str(workers), "--json"])
    return {**json.loads(run["stdout"]), "peak_rss_mb": run["peak_rss_mb"]}


def bench_original(path: Path, topic: str, rows: int, servers: str) -> dict[str, Any]:
    run = run_monitored([PY, "-c", ORIGINAL_STYLE, str(path), topic, str(rows), servers])
    return {**json.loads(run["stdout"]), "peak_rss_mb": run["peak_rss_mb"]}


def bench_kafka_python_only(topic: str, n: int, servers: str) -> dict[str, Any]:
    run = run_monitored([PY, "-c", KAFKA_PYTHON_ONLY, topic, str(n), servers, str(ROOT)])
    return json.loads(run["stdout"])


def bench_java(topic: str, n: int, servers: str) -> dict[str, Any]:
    argv = ["java", "-Xmx512m", "-cp", str(ROOT / "infra" / "jars" / "kafka" / "*"),
            "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
            "--num-records", str(n), "--record-size", "120", "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={servers}", "acks=all"]
    run = run_monitored(argv)
    final = [ln for ln in run["stdout"].splitlines() if "records sent" in ln][-1]
    match = re.search(r"([\d.]+) records/sec", final)
    rate = float(match.group(1)) if match else 0.0
    return {"sent": n, "events_per_s": rate, "summary": final.strip()}


def bench_consumer(topic: str, servers: str) -> dict[str, Any]:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "SHOPSTREAM_EVENTS_BUCKET": name,
           "SHOPSTREAM_CONSUMER_GROUP": f"{name}-group", "SHOPSTREAM_DLQ_TOPIC": f"{name}-dlq",
           "SHOPSTREAM_KAFKA_BOOTSTRAP_SERVERS": servers}
    run = run_monitored([SHOPSTREAM, "consume", "--topic", topic, "--until-idle", "10",
                         "--json"], env=env)
    return {**json.loads(run["stdout"]), "peak_rss_mb": run["peak_rss_mb"], "bucket": name}


def bench_consume_only(topic: str, n: int, servers: str) -> dict[str, Any]:
    run = run_monitored([PY, "-c", KAFKA_PYTHON_CONSUME, topic, str(n), servers])
    return json.loads(run["stdout"])


def bench_store_only(path: Path, n: int) -> dict[str, Any]:
    run = run_monitored([PY, "-c", STORE_PATH_ONLY, str(path), str(n), str(ROOT)])
    return {**json.loads(run["stdout"]), "peak_rss_mb": run["peak_rss_mb"]}


def bench_two_consumers(topic: str, servers: str) -> dict[str, Any]:
    """Two `shopstream consume` processes in one group: the scale-out path."""
    name = f"bench2-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "SHOPSTREAM_EVENTS_BUCKET": name,
           "SHOPSTREAM_CONSUMER_GROUP": f"{name}-group", "SHOPSTREAM_DLQ_TOPIC": f"{name}-dlq",
           "SHOPSTREAM_KAFKA_BOOTSTRAP_SERVERS": servers}
    argv = [SHOPSTREAM, "consume", "--topic", topic, "--until-idle", "10", "--json"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=ROOT) for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=3600)[0]) for p in procs]
    events = sum(o["events"] for o in outs)
    seconds = max(o["seconds"] for o in outs)
    return {"events": events, "seconds": seconds, "events_per_s": events / seconds,
            "each": outs}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen steps; raw results are saved after each one (RAW) and merged."""
    from shopstream.settings import Settings

    servers = Settings().kafka_bootstrap
    path = events_file(args.rows)
    print(f"file: {path} ({path.stat().st_size / 2**20:.1f} MiB, {args.rows:,} rows)", flush=True)
    results: dict[str, Any] = json.loads(RAW.read_text()) if args.resume and RAW.exists() else {}
    if results.get("rows") != args.rows:
        results = {}
    results.update(rows=args.rows, file_mb=round(path.stat().st_size / 2**20, 1))
    results.setdefault("ours_topic", f"bench-ours-{uuid.uuid4().hex[:8]}")
    tag, topic = uuid.uuid4().hex[:8], results["ours_topic"]
    steps = {
        "original": lambda: bench_original(path, f"bench-orig-{tag}", args.original_rows,
                                           servers),
        "kafka_python_only": lambda: bench_kafka_python_only(f"bench-kp-{tag}",
                                                             args.micro_rows, servers),
        "java": lambda: bench_java(f"bench-java-{tag}", args.java_rows, servers),
        "ours": lambda: bench_ours(path, topic),
        "consumer": lambda: bench_consumer(topic, servers),
        "consumer_x2": lambda: bench_two_consumers(topic, servers),
        "kafka_python_consume_only": lambda: bench_consume_only(topic, args.micro_rows,
                                                                servers),
        "store_path_only": lambda: bench_store_only(path, args.micro_rows),
        "ours_workers2": lambda: bench_ours(path, f"bench-w2-{tag}", workers=2),
        "ours_tenth": lambda: bench_ours(events_file(max(1000, args.rows // 10)),
                                         f"bench-small-{tag}"),
    }
    for name, step in steps.items():
        if name in results or (args.steps and name not in args.steps):
            continue
        print(f"running {name} …", flush=True)
        results[name] = step()
        print(f"  {json.dumps(results[name])[:300]}", flush=True)
        RAW.write_text(json.dumps(results, indent=2) + "\n")
    return results


def rows_for_report(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The table rows (a row is left out when a step it needs has not run)."""

    def rate(name: str) -> float | None:
        return r[name]["events_per_s"] if name in r else None

    def rss(name: str) -> float | None:
        return r[name].get("peak_rss_mb") if name in r else None

    ours, orig, cons = rate("ours"), rate("original"), rate("consumer")
    specs: list[tuple[str, float | None, float | None, str, bool]] = [
        ("producer events/s vs original-style (iterrows + send per row)", ours, orig, "≥ 5x",
         True),
        ("producer --workers 2 events/s vs original-style", rate("ours_workers2"), orig, "≥ 5x",
         True),
        ("producer events/s vs kafka-python-only send loop (pre-serialised bytes)", ours,
         rate("kafka_python_only"), "—", False),
        ("producer events/s vs Kafka ProducerPerformance (Java)", ours, rate("java"), "—", False),
        ("consumer → object store events/s (one process)", cons, None, "≥ 50,000", True),
        ("consumer → object store events/s, two processes in one group", rate("consumer_x2"),
         cons, "≥ 50,000", True),
        ("kafka-python-only consume loop (poll + values, nothing else) events/s",
         rate("kafka_python_consume_only"), None, "—", False),
        ("our store path alone (decode + dedup + Parquet + S3 put) events/s",
         rate("store_path_only"), None, "≥ 50,000", True),
        ("producer peak RSS (MB)", rss("ours"), rss("original"), "< 500", True),
        ("consumer peak RSS (MB)", rss("consumer"), None, "—", False),
        ("producer peak RSS, full file vs a tenth of it (MB; flat = streaming)", rss("ours"),
         rss("ours_tenth"), "≈ 1", True),
    ]
    out = []
    for measure, value, baseline, target, judged in specs:
        if value is None or (baseline is None and "vs" in measure):
            continue
        ratio = value / baseline if baseline else None
        met = _met(target, value, ratio) if judged else None
        out.append(_row(measure, value, baseline, ratio, target, met))
    return out


def _met(target: str, value: float, ratio: float | None) -> bool | None:
    number = float(re.sub(r"[^\d.]", "", target) or 0)
    if target.endswith("x"):
        return ratio is not None and ratio >= number
    if target.startswith("≥"):
        return value >= number
    if target.startswith("<"):
        return value < number
    if target.startswith("≈"):
        return ratio is not None and ratio < 1.3
    return None


def _row(measure: str, ours: float, baseline: float | None, ratio: float | None, target: str,
         met: bool | None) -> dict[str, Any]:
    return {"measure": measure, "ours": round(ours, 1),
            "baseline": None if baseline is None else round(baseline, 1),
            "ratio": None if ratio is None else round(ratio, 2), "target": target, "met": met}


def print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ingestion benchmark", title_justify="left")
    for column in ("measure", "ours", "baseline", "ratio", "target", "met"):
        table.add_column(column)
    for row in rows:
        table.add_row(*("—" if row[c] is None else str(row[c]) for c in
                        ("measure", "ours", "baseline", "ratio", "target", "met")))
    Console(width=160).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=FULL_ROWS)
    parser.add_argument("--original-rows", type=int, default=50_000)
    parser.add_argument("--micro-rows", type=int, default=200_000)
    parser.add_argument("--java-rows", type=int, default=1_000_000)
    parser.add_argument("--steps", type=lambda t: set(t.split(",")), default=None,
                        help="comma list of steps to run (default: all)")
    parser.add_argument("--resume", action="store_true",
                        help=f"keep the steps already in {RAW.name} for the same --rows")
    args = parser.parse_args()
    raw = measure(args)
    rows = rows_for_report(raw)
    print_table(rows)
    note = (f"{args.rows:,} rows ({raw['file_mb']} MiB), local broker and S3Proxy, "
            f"{psutil.cpu_count()} CPUs shared with other work. The original-style producer ran "
            f"on the first {args.original_rows:,} rows; its rate is extrapolated to the file. "
            "Consumer events/s: busy time from first record to last batch stored.")
    payload = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
               "machine": f"{platform.node()} {platform.machine()} {psutil.cpu_count()} CPUs",
               "note": note, "rows": rows, "raw": raw}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
