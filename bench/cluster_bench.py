"""The cluster profile against the local one, in one run: the same training on local[*] and on
the Spark standalone cluster (2 workers, 1 core each), and produce/consume throughput on the
local profile's single Kafka broker and on the 3-node quorum (replication 3, min ISR 2).

    .venv/bin/python bench/cluster_bench.py                          # 100,000 training events
    .venv/bin/python bench/cluster_bench.py --events 40000 --kafka-events 100000

Both profiles are started when not running (and the ones this script started are stopped at
the end). Training runs `python -m pipelines train --models all` twice with the cluster's
MLflow and object store, only the Spark master differing (SHOPSTREAM_SPARK_MASTER=local[*]
against the cluster's spark://), so the ratio is Spark's alone. Each Kafka run produces a
generated file with `shopstream produce` and stores it with `shopstream consume` into a
topic and bucket of its own. Results: a table on stdout and bench/results/cluster.json (the
README table is generated from it by bench/report.py). Both profiles share this machine's
cores: the ratios say what coordination costs here, not what a real cluster gains.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
SHOPSTREAM = str(ROOT / ".venv" / "bin" / "shopstream")
RESULTS = ROOT / "bench" / "results" / "cluster.json"


def profile_env(settings: Any, **extra: str) -> dict[str, str]:
    """The environment that points a process at one profile's stack (settings only)."""
    return {**os.environ, "SHOPSTREAM_PROFILE": settings.profile,
            "SHOPSTREAM_CLUSTER_BASE_PORT": str(settings.cluster_base_port),
            "SHOPSTREAM_DATA_DIR": str(settings.data_dir), **extra}


def ensure_up(settings: Any, names: list[str] | None = None) -> list[str]:
    """Start the profile's services that are down; returns the names started here."""
    from infra import stack

    down = [n for n, st in stack.status(settings, names).items() if not st.running]
    if down:
        stack.up(settings, down)
    return down


def train(settings: Any, events: Path, master: str | None, tag: str) -> dict[str, Any]:
    extra = {"SHOPSTREAM_EXPERIMENT_NAME": f"bench-cluster-{tag}",
             "SHOPSTREAM_SPARK_DRIVER_MEMORY": "2g"}
    if master:
        extra["SHOPSTREAM_SPARK_MASTER"] = master
    cmd = [sys.executable, "-m", "pipelines", "train", "--models", "all", "--events-file",
           str(events), "--name-prefix", f"bench-{tag}-", "--promote", "false", "--json"]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=profile_env(settings, **extra),
                          capture_output=True, text=True, check=False)
    seconds = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        raise SystemExit(f"training ({master or 'cluster'}) failed:\n{done.stderr[-3000:]}")
    return {"seconds": seconds}


def kafka_round(settings: Any, events: Path, n: int) -> dict[str, Any]:
    """Produce then consume the file into a topic and bucket of their own."""
    from infra.s3 import ensure_buckets

    name = f"bench-cluster-{uuid.uuid4().hex[:8]}"
    isolated = settings.model_copy(update={"events_bucket": name})
    ensure_buckets(isolated, (name,))
    env = profile_env(settings, SHOPSTREAM_TOPIC=name, SHOPSTREAM_DLQ_TOPIC=f"{name}-dlq",
                      SHOPSTREAM_EVENTS_BUCKET=name, SHOPSTREAM_CONSUMER_GROUP=f"{name}-group")
    out: dict[str, Any] = {}
    for step, args in (("produce", ["--file", str(events)]),
                       ("consume", ["--until-idle", "5"])):
        done = subprocess.run([SHOPSTREAM, step, *args, "--json"], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{step} on the {settings.profile} profile failed:\n"
                             f"{done.stderr[-3000:]}")
        summary = json.loads(done.stdout)
        out[step] = {"events": summary.get("sent", summary.get("events")),
                     "events_per_s": summary["events_per_s"]}
    if out["consume"]["events"] != n:
        raise SystemExit(f"consume stored {out['consume']['events']} of {n} events")
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def table(training: dict[str, Any], kafka: dict[str, Any], args: Any) -> list[dict[str, Any]]:
    local_s, cluster_s = training["local"]["seconds"], training["cluster"]["seconds"]
    rows = [{"measure": f"training wall s, all three models ({args.events:,} events): "
             "2-worker cluster vs local[*]", "ours": cluster_s, "baseline": local_s,
             "ratio": _ratio(cluster_s, local_s), "target": None, "met": None}]
    for step in ("produce", "consume"):
        quorum = kafka["cluster"][step]["events_per_s"]
        single = kafka["local"][step]["events_per_s"]
        rows.append({"measure": f"{step} events/s ({args.kafka_events:,} events): 3-node "
                     "quorum (RF 3, acks=all) vs 1 broker", "ours": quorum, "baseline": single,
                     "ratio": _ratio(quorum, single), "target": None, "met": None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="training events")
    parser.add_argument("--kafka-events", type=int, default=200_000)
    args = parser.parse_args()
    from infra import stack
    from ingestion.synthetic import write_events_csv
    from shopstream.settings import Settings

    local, cluster = Settings(profile="local"), Settings(profile="cluster")
    data = ROOT / "data" / "bench"
    data.mkdir(parents=True, exist_ok=True)
    train_csv = data / f"events_{args.events}.csv"
    kafka_csv = data / f"events_{args.kafka_events}.csv"
    write_events_csv(train_csv, args.events, 42)
    write_events_csv(kafka_csv, args.kafka_events, 42)
    started = {"local": ensure_up(local, ["kafka", "s3"]), "cluster": ensure_up(cluster)}
    try:
        tag = uuid.uuid4().hex[:8]
        training = {"local": train(cluster, train_csv, "local[*]", tag),
                    "cluster": train(cluster, train_csv, None, tag)}
        kafka = {"local": kafka_round(local, kafka_csv, args.kafka_events),
                 "cluster": kafka_round(cluster, kafka_csv, args.kafka_events)}
    finally:
        for settings in (local, cluster):
            if started[settings.profile]:
                stack.down(settings, started[settings.profile])
    rows = table(training, kafka, args)
    note = ("Both profiles on this one machine (the cluster's 2 Spark workers, 3 Kafka nodes, "
            "PostgreSQL and MLflow share its cores), so the ratios show coordination overhead, "
            "not what real nodes would give: training is cluster seconds / local[*] seconds "
            "(above 1 = slower; both runs use the cluster's MLflow and S3, only the Spark "
            "master differs), Kafka is quorum events/s / 1-broker events/s (below 1 = slower).")
    payload = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
               "machine": f"{platform.node()} {platform.machine()} {psutil.cpu_count()} CPUs",
               "note": note, "rows": rows, "raw": {"training": training, "kafka": kafka}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, indent=1))
    for row in rows:
        print(f"{row['measure']}: {row['ours']} vs {row['baseline']} (ratio {row['ratio']})")


if __name__ == "__main__":
    main()
