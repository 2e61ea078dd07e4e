"""Wall time and peak memory of each training entry point on generated data.

    .venv/bin/python bench/pipelines_bench.py [--events N] [--entries main,train_recommender]

Each entry point runs as its own process (`python -m pipelines train --models …`, what
the MLproject entry points run) against a generated events.csv of N events (default the full
2.76M), in a throw-away experiment and model-name prefix; peak RSS covers the Python process
and its Spark JVM (psutil, sampled every 0.5 s), as do the CPU seconds (user + system); a
failed run keeps the tail of its stderr. Writes bench/results/pipelines.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from proc_tree import run_watched

ROOT = Path(__file__).resolve().parents[1]


def entries() -> dict[str, list[str]]:
    """MLproject's training entry points: one per registered model, then main."""
    from pipelines.models.registry import SPECS

    return {**{f"train_{s.name}": ["--models", s.name] for s in SPECS},
            "main": ["--models", "all"]}


def run_entry(name: str, events: Path, tag: str) -> dict[str, object]:
    cmd = [sys.executable, "-m", "pipelines", "train", *entries()[name], "--events-file",
           str(events), "--name-prefix", f"bench-{tag}-", "--json"]
    env = {**os.environ, "SHOPSTREAM_EXPERIMENT_NAME": f"bench-pipelines-{tag}"}
    log = ROOT / "data" / "bench" / f"pipelines_{name}.log"  # the run's stderr, for failures
    run = run_watched(cmd, ROOT, env, log)
    line = run.last_json_line()
    row: dict[str, object] = {
        "entry": name, "seconds": round(run.seconds, 1),
        "peak_rss_mb": round(run.peak_rss / 2**20), "cpu_seconds": round(run.cpu_s, 1),
        "rc": run.returncode, "result": json.loads(line) if line else None}
    if run.returncode != 0:
        row["stderr_tail"] = log.read_text().splitlines()[-40:]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_756_101)
    parser.add_argument("--entries", default=",".join(entries()))
    args = parser.parse_args()
    from ingestion.synthetic import write_events_csv

    data = ROOT / "data" / "bench" / f"events_{args.events}.csv"
    data.parent.mkdir(parents=True, exist_ok=True)
    write_events_csv(data, args.events, 42)
    tag = uuid.uuid4().hex[:8]
    results = [run_entry(name, data, tag) for name in args.entries.split(",")]
    out = ROOT / "bench" / "results" / "pipelines.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(tz=UTC).isoformat(timespec="seconds")
    out.write_text(json.dumps({"generated_at": stamp, "events": args.events, "runs": results},
                              indent=1))
    print(json.dumps({"events": args.events, "runs": [{k: r[k] for k in
                      ("entry", "seconds", "peak_rss_mb", "rc")} for r in results]}))


if __name__ == "__main__":
    main()
