"""Each model beside its baselines, on generated data and on the real Retail Rocket sample.

    .venv/bin/python bench/models_bench.py [--generated data/raw/events.csv] [--events N]

Trains the three models with `python -m pipelines train --json` (the MLproject entry) on
(1) a generated history (the given events.csv, else a fresh one of N events) and (2) the real
whole-history sample ../shared/data/retailrocket-sample/events_active_visitors.csv (739
visitors over 4.5 months: evaluated on its last 30 days). Every metric is the training run's
own: the served form beside the baselines computed in the same run. Nothing is promoted
(model names are prefixed bench-models-…). Writes bench/results/models.json; bench/report.py
renders it into the README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from samples import sample_dir

from shopstream.contracts import RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "models.json"
REAL_FILE = "events_active_visitors.csv"

# (model, metric, label, baselines, target) — the rows of the README's model table.
ROWS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    (RECOMMENDER, "hr_at_10", "HR@10 served (strategy chosen on validation)",
     ("item_knn_hr_at_10", "als_hr_at_10", "popularity_hr_at_10"),
     "≥ best of popularity and item-kNN"),
    (TRANSACTION_PREDICTOR, "pr_auc", "PR-AUC, the router's request",
     ("cart_only_pr_auc", "history_only_pr_auc", "base_rate"), "≥ best baseline + 0.05"),
    (TRANSACTION_PREDICTOR, "recall", "recall at the chosen threshold", (), "≥ 0.5"),
    (USER_SEGMENTATION, "silhouette",
     "silhouette (Euclidean, served labels), distinct engaged vectors", (), "≥ 0.5"),
    (USER_SEGMENTATION, "ari_min", "ARI across 5 seeds (min)", (), "≥ 0.9"),
    (USER_SEGMENTATION, "min_segment_share", "smallest segment share", (), "≥ 0.01"),
)


def train(events: Path, tag: str, eval_days: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "pipelines", "train", "--models", "all", "--events-file",
           str(events), "--promote", "false", "--name-prefix", f"bench-models-{tag}-",
           "--eval-days", f"{eval_days:g}", "--json"]
    env = {**os.environ, "SHOPSTREAM_EXPERIMENT_NAME": "bench-models"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr[-3000:], "command": " ".join(cmd)}
    payload: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"command": " ".join(cmd), **payload}


def generated_file(given: Path | None, events: int) -> Path:
    if given is not None and given.exists():
        return given
    out = ROOT / "data" / "bench" / f"events_models_{events}.csv"
    if not out.exists():
        from ingestion.synthetic import write_events_csv

        out.parent.mkdir(parents=True, exist_ok=True)
        write_events_csv(out, events, 42)
    return out


def met(value: float | None, row: tuple[str, str, str, tuple[str, ...], str],
        metrics: dict[str, Any], real: bool) -> bool | None:
    model, metric, _, baselines, _ = row
    if value is None:
        return None
    if model == RECOMMENDER:
        return value >= max(metrics.get("popularity_hr_at_10") or 0,
                            metrics.get("item_knn_hr_at_10") or 0)
    if metric == "pr_auc":
        against = ("cart_only_pr_auc",) if real else baselines
        return value >= max(metrics.get(b) or 0 for b in against) + 0.05
    floor = {"recall": 0.5, "silhouette": 0.5, "ari_min": 0.9, "min_segment_share": 0.01}
    return value >= floor[metric]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=Path, default=ROOT / "data" / "raw" / "events.csv")
    parser.add_argument("--events", type=int, default=2_756_101)
    parser.add_argument("--real", type=Path, default=sample_dir() / REAL_FILE,
                        help="the real whole-history sample (default: found up from the repo)")
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    generated = generated_file(args.generated, args.events)
    runs = {"generated": {"file": str(generated), **train(generated, f"gen-{tag}", 14.0)}}
    if args.real.exists():
        runs["real"] = {"file": str(args.real), **train(args.real, f"real-{tag}", 30.0)}
    else:
        print(f"no real sample at {args.real}: real rows left out (give --real PATH)",
              file=sys.stderr)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"generated_at": datetime.now(tz=UTC).isoformat(
        timespec="seconds"), "runs": runs}, indent=2, default=str))
    print(f"wrote {RESULTS}")


def models_section(data: dict[str, Any] | None, fmt: Any) -> list[str]:
    """README rows: each model's served metric beside its baselines, per dataset."""
    lines = ["### Models beside their baselines", ""]
    if data is None:
        return [*lines, "_not run yet: `.venv/bin/python bench/models_bench.py`_", ""]
    lines += [f"From `bench/models_bench.py`, {data.get('generated_at')}: every figure is the "
              "training run's own, the served form beside baselines computed in the same run.",
              "", "| data | model | metric | served | baselines | target | met |",
              "|---|---|---|---|---|---|---|"]
    for dataset, run in data.get("runs", {}).items():
        if "error" in run:
            lines.append(f"| {dataset} | — | run failed | — | — | — | **no** |")
            continue
        for row in ROWS:
            model, metric, label, baselines, target = row
            metrics = run["models"][model]["metrics"]
            value = metrics.get(metric)
            shown = ", ".join(f"{b.replace('_pr_auc', '').replace('_hr_at_10', '')} "
                              f"{fmt(metrics.get(b))}" for b in baselines)
            if dataset == "real" and metric == "pr_auc":
                target = "≥ cart-only + 0.05"
            lines.append(f"| {dataset} | {model} | {label} | {fmt(value)} | {shown or '—'} | "
                         f"{target} | {fmt(met(value, row, metrics, dataset == 'real'))} |")
    return [*lines, ""]


if __name__ == "__main__":
    main()
