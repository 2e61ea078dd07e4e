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
import subprocess
import sys
import time
import uuid
from pathlib import Path

from proc_tree import tree_cpu_s, tree_rss

ROOT = Path(__file__).resolve().parents[1]


def entries() -> dict[str, list[str]]:
    """MLproject's training entry points: one per registered model, then main."""
    from pipelines.models.registry import SPECS

    return {**{f"train_{s.name}": ["--models", s.name] for s in SPECS},
            "main": ["--models", "all"]}


def run_entry(name: str, events: Path, tag: str) -> dict[str, object]:
    cmd = [sys.executable, "-m", "pipelines", "train", *entries()[name], "--events-file",
           str(events), "--name-prefix", f"bench-{tag}-", "--json"]
    env = {**__import__("os").environ, "SHOPSTREAM_EXPERIMENT_NAME": f"bench-pipelines-{tag}"}
    started = time.perf_counter()
    log = ROOT / "data" / "bench" / f"pipelines_{name}.log"  # the run's stderr, for failures
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err,
                                text=True)
        peak = cpu = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            cpu = max(cpu, tree_cpu_s(proc.pid))  # last reading before exit: within 0.5 s
            time.sleep(0.5)
    out = proc.stdout.read() if proc.stdout else ""
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    row: dict[str, object] = {
        "entry": name, "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(peak / 2**20), "cpu_seconds": round(cpu, 1),
        "rc": proc.returncode, "result": json.loads(lines[-1]) if lines else None}
    if proc.returncode != 0:
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
    out.write_text(json.dumps({"events": args.events, "runs": results}, indent=1))
    print(json.dumps({"events": args.events, "runs": [{k: r[k] for k in
                      ("entry", "seconds", "peak_rss_mb", "rc")} for r in results]}))


if __name__ == "__main__":
    main()
