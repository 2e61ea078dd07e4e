"""Training wall time and metrics of two commits on the same events file and seed.

    .venv/bin/python bench/commit_compare.py BASE HEAD [--rounds 2] [--events FILE]

The check a refactor owes its users: same data, same seed, same machine, the same metrics to
the last digit and a wall time within noise. Each commit is checked out in a temporary git
worktree and trained with this checkout's virtual environment (PYTHONPATH points at the
worktree, so its own packages are the ones imported) against the running local stack:
`python -m pipelines train --models all` (or `python -m pipelines.train` for commits from
before the pipelines layout). Runs alternate BASE, HEAD each round so drift in the machine's
load hits both. Wall time, CPU seconds and peak RSS cover the process and its Spark JVM.

Writes bench/results/layout.json: every run, the ratio of mean wall times, and every logged
metric that differs between any two runs (none is the expected answer).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proc_tree import run_watched

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVENTS = ROOT / "data" / "bench" / "events_models_2756101.csv"
WALL_TIME_TOLERANCE = 0.10  # issue 10: training wall time within 10 %


def training_module(tree: Path) -> list[str]:
    """The commit's training entry: the package entry since the layout, the module before."""
    if (tree / "pipelines" / "__main__.py").exists():
        return ["-m", "pipelines", "train"]
    return ["-m", "pipelines.train"]


def run_once(label: str, tree: Path, events: Path, log: Path) -> dict[str, Any]:
    tag = f"cmp-{label}-{uuid.uuid4().hex[:6]}"
    cmd = [sys.executable, *training_module(tree), "--models", "all", "--events-file",
           str(events), "--name-prefix", f"{tag}-", "--json"]
    env = {**os.environ, "PYTHONPATH": str(tree), "SHOPSTREAM_EXPERIMENT_NAME": tag}
    run = run_watched(cmd, tree, env, log)
    line = run.last_json_line()
    if run.returncode != 0 or line is None:
        tail = "\n".join(log.read_text().splitlines()[-30:])
        raise SystemExit(f"{label} training failed (rc {run.returncode}); its stderr:\n{tail}")
    result = json.loads(line)
    metrics = {f"{model}.{name}": value for model, info in result["models"].items()
               for name, value in info["metrics"].items()}
    return {"commit": label, "seconds": round(run.seconds, 1),
            "cpu_seconds": round(run.cpu_s, 1), "peak_rss_mb": round(run.peak_rss / 2**20),
            "load_after": [round(x, 2) for x in os.getloadavg()], "metrics": metrics}


def differences(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every metric whose value is not the same in every run."""
    names = sorted({m for r in runs for m in r["metrics"]})
    out = []
    for name in names:
        values = [r["metrics"].get(name) for r in runs]
        if any(v != values[0] for v in values):
            out.append({"metric": name, "values": values})
    return out


def rows(base: str, head: str, runs: list[dict[str, Any]],
         diffs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def mean(label: str, key: str) -> float:
        return round(statistics.mean(r[key] for r in runs if r["commit"] == label), 1)

    ratio = mean(head, "seconds") / mean(base, "seconds")
    n_metrics = len({m for r in runs for m in r["metrics"]})
    return [
        {"measure": f"training wall time s, all three models (mean of {len(runs) // 2}); "
                    f"baseline: {base}, ours: {head}",
         "ours": mean(head, "seconds"), "baseline": mean(base, "seconds"),
         "ratio": round(ratio, 3), "target": f"within {WALL_TIME_TOLERANCE:.0%}",
         "met": abs(ratio - 1) <= WALL_TIME_TOLERANCE},
        {"measure": "training CPU s (process + Spark JVM)", "ours": mean(head, "cpu_seconds"),
         "baseline": mean(base, "cpu_seconds"),
         "ratio": round(mean(head, "cpu_seconds") / mean(base, "cpu_seconds"), 3),
         "target": None, "met": None},
        {"measure": f"logged metrics that differ between any two runs (of {n_metrics})",
         "ours": len(diffs), "baseline": 0, "ratio": None, "target": "0", "met": not diffs},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("head")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--events", type=Path, default=DEFAULT_EVENTS,
                        help="events.csv both commits train on (default: models_bench's file)")
    args = parser.parse_args()
    if not args.events.exists():
        raise SystemExit(f"{args.events} not found: run bench/models_bench.py once, or pass "
                         "--events")
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="commit-compare-") as tmp:
        trees = {}
        for label in (args.base, args.head):
            trees[label] = Path(tmp) / label
            subprocess.run(["git", "worktree", "add", "--detach", str(trees[label]), label],
                           cwd=ROOT, check=True, capture_output=True)
        try:
            for _ in range(args.rounds):
                for label in (args.base, args.head):
                    runs.append(run_once(label, trees[label], args.events,
                                         Path(tmp) / f"{label}.log"))
                    print(json.dumps({k: runs[-1][k] for k in ("commit", "seconds")}),
                          flush=True)
        finally:
            for tree in trees.values():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                               check=False, capture_output=True)
    diffs = differences(runs)
    report = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "base": args.base, "head": args.head, "events": str(args.events),
              "cpus": os.cpu_count(), "runs": runs, "metric_differences": diffs,
              "rows": rows(args.base, args.head, runs, diffs)}
    out = ROOT / "bench" / "results" / "layout.json"
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report["rows"]))


if __name__ == "__main__":
    main()
