"""Fill the README's results table from bench/results/*.json (never typed by hand).

    .venv/bin/python bench/report.py          # rewrite README.md between the results markers
    .venv/bin/python bench/report.py --print  # print the markdown only

Inputs (each optional; a missing one is reported as "not run yet"):
- bench/results/ingestion.json  from bench/ingestion_bench.py
- bench/results/pipelines.json  from bench/pipelines_bench.py
- bench/results/layout.json     from bench/commit_compare.py BASE HEAD
- bench/results/serving.json    from bench/serving_bench.py
- bench/results/cluster.json    from bench/cluster_bench.py
- bench/results/demo.json       from `shopstream demo` (the training metrics of the last run)
Each bench file holds {"generated_at", "machine", "rows": [{"measure", "ours", "baseline",
"ratio", "target", "met"}, ...]}; the demo file holds each stage's --json summary.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"

BENCHES = (
    ("Ingestion", "ingestion.json", "bench/ingestion_bench.py"),
    ("Training", "pipelines.json", "bench/pipelines_bench.py"),
    ("Pipelines layout refactor: two commits, same data and seed", "layout.json",
     "bench/commit_compare.py"),
    ("Serving", "serving.json", "bench/serving_bench.py"),
    ("Cluster profile", "cluster.json", "bench/cluster_bench.py"),
)



def train_metrics() -> dict[str, tuple[str, ...]]:
    """Each model's reported metrics, from its spec (plus whatever extra its JSON carries)."""
    from pipelines.models.registry import SPECS

    return {s.name: s.json_metrics for s in SPECS}


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    if "generated_at" not in loaded:
        from datetime import UTC, datetime

        stamp = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        loaded["generated_at"] = stamp.isoformat(timespec="seconds")
    return loaded


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


ENDPOINTS = ("recommendations", "predict_transaction", "segment_user")


def serving_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """bench/serving_bench.py's nested layout → table rows."""
    rows: list[dict[str, Any]] = []
    router, direct = data.get("router", {}), data.get("direct", {})
    for ep in ENDPOINTS:
        r, d = router.get(ep) or {}, direct.get(ep) or {}
        rps_ratio = r["rps"] / d["rps"] if r.get("rps") and d.get("rps") else None
        rows.append({"measure": f"/{ep.replace('_', '-')} req/s via router vs direct to "
                     "mlflow scoring server (c=32)", "ours": r.get("rps"),
                     "baseline": d.get("rps"), "ratio": rps_ratio, "target": "≥ 800",
                     "met": (r.get("rps") or 0) >= 800})
        rows.append({"measure": f"/{ep.replace('_', '-')} p50 / p99 ms via router (c=32), "
                     "errors", "ours": f"{r.get('p50_ms')} / {r.get('p99_ms')}",
                     "baseline": f"errors {r.get('errors')}", "ratio": None,
                     "target": "p99 ≤ 50, 0 errors",
                     "met": (r.get("p99_ms") or 1e9) <= 50 and r.get("errors") == 0})
        rows.append({"measure": f"/{ep.replace('_', '-')} projected req/s on 2 dedicated "
                     "cores (CPU ms/request)", "ours": r.get("projected_rps_2_cores"),
                     "baseline": r.get("server_cpu_ms_per_request"), "ratio": None,
                     "target": "≥ 800", "met": (r.get("projected_rps_2_cores") or 0) >= 800})
    c1, spark = (data.get("latency_c1") or {}).get("router_predict_transaction") or {}, \
        (data.get("spark") or {}).get("c1") or {}
    if c1 and spark:
        ratio = spark["p50_ms"] / c1["p50_ms"] if c1.get("p50_ms") else None
        rows.append({"measure": "single-request p50 ms: router vs original-style Spark job "
                     "per request", "ours": c1.get("p50_ms"), "baseline": spark.get("p50_ms"),
                     "ratio": ratio, "target": "≥ 100x lower", "met": (ratio or 0) >= 100})
    return rows


def pipelines_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """bench/pipelines_bench.py's runs → table rows."""
    rows = []
    for run in data.get("runs", []):
        rows.append({"measure": f"entry point `{run.get('entry')}` wall s "
                     f"({_fmt(data.get('events'))} events)", "ours": run.get("seconds"),
                     "baseline": None, "ratio": None,
                     "target": "< 300 (all three)" if run.get("entry") == "main" else None,
                     "met": (run.get("seconds") or 1e9) < 300
                     if run.get("entry") == "main" else None})
        rows.append({"measure": f"entry point `{run.get('entry')}` peak RSS MB",
                     "ours": run.get("peak_rss_mb"), "baseline": None, "ratio": None,
                     "target": None, "met": None})
        if run.get("cpu_seconds") and run.get("seconds"):
            rows.append({"measure": f"entry point `{run.get('entry')}` CPU s (cores busy on "
                         "average = CPU s / wall s)", "ours": run["cpu_seconds"],
                         "baseline": None,
                         "ratio": round(float(run["cpu_seconds"]) / float(run["seconds"]), 2),
                         "target": None, "met": None})
    return rows


def bench_section(title: str, data: dict[str, Any] | None, script: str) -> list[str]:
    lines = [f"### {title}", ""]
    if data is None:
        return [*lines, f"_not run yet: `.venv/bin/python {script}`_", ""]
    when = data.get("generated_at", "?")
    lines += [f"From `{script}`, {when}. {data.get('note', '')}".rstrip(), ""]
    lines += ["| measure | ours | baseline | ratio | target | met |",
              "|---|---|---|---|---|---|"]
    rows = data.get("rows")
    if rows is None:
        rows = serving_rows(data) if "router" in data else pipelines_rows(data)
    for row in rows:
        cells = [row.get("measure"), row.get("ours"), row.get("baseline"), row.get("ratio"),
                 row.get("target"), row.get("met")]
        lines.append("| " + " | ".join(_fmt(c) for c in cells) + " |")
    return [*lines, ""]


def training_section(demo: dict[str, Any] | None, bench: dict[str, Any] | None) -> list[str]:
    lines = ["### Models (last `shopstream train`, held-out later period)", ""]
    models = ((demo or {}).get("train") or {}).get("models")
    how = ("by the last `make demo`, from the object store's batches (read over s3a, "
           "deduplicated); a version after the first is promoted through the validation gate "
           "against its champion")
    if not models and bench and bench.get("runs"):
        how = "by bench/pipelines_bench.py (first versions, from events.csv)"
        demo = {"train": bench["runs"][0].get("result") or {}}
        models = demo["train"].get("models")
        lines += ["_From bench/results/pipelines.json (no `make demo` results yet)._", ""]
    if not models:
        return [*lines, "_not run yet: `make demo`_", ""]
    lines += ["| model | version | promoted | metrics |", "|---|---|---|---|"]
    for name, keys in train_metrics().items():
        info = models.get(name) or {}
        metrics = info.get("metrics") or {}
        ordered = [*keys, *(k for k in metrics if k not in keys)]
        shown = ", ".join(f"{k}={_fmt(metrics.get(k))}" for k in ordered if k in metrics)
        lines.append(f"| {name} | {_fmt(info.get('version'))} | {_fmt(info.get('promoted'))} "
                     f"| {shown} |")
    seconds = demo.get("train", {}).get("seconds") if demo else None
    if seconds is not None:
        lines += ["", f"All three trained, evaluated and registered in {_fmt(seconds)} s {how}."]
    return [*lines, ""]


def render() -> str:
    out: list[str] = []
    for title, name, script in BENCHES:
        out += bench_section(title, _load(name), script)
    out += training_section(_load("demo.json"), _load("pipelines.json"))
    from models_bench import models_section

    out += models_section(_load("models.json"), _fmt)
    return "\n".join(out).rstrip() + "\n"


def rewrite_readme(markdown: str) -> None:
    text = README.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{START}\n{markdown}{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print instead of rewriting")
    args = parser.parse_args()
    markdown = render()
    if args.print:
        print(markdown)
    else:
        rewrite_readme(markdown)
        print(f"README.md results updated from {RESULTS}")


if __name__ == "__main__":
    main()
