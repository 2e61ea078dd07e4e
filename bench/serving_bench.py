"""Serving benchmark (a script, not a test): router vs. scoring servers vs. the floor.

    .venv/bin/python bench/serving_bench.py [--duration 15] [--concurrency 32] [--skip-spark]
                                            [--layout shared] [--compare per-model,mlflow-serve]

1. Models: the registry's recommender / transaction_predictor / user_segmentation at alias
   production when `shopstream train` registered them, else small sample pyfuncs registered
   under unique names (serving.sample_models).
2. The floor, in this process: numpy top-k over the catalogue, and each pyfunc's predict() on
   one row (bench/serving_floor.py).
3. `shopstream serve --scoring-layout LAYOUT` as its own process tree: cold start (command
   start → every model answered a real /invocations), warm-up, memory of the whole tree.
4. A load generator in another process (wrk when installed, else async httpx) drives
   /recommendations (known and unknown visitors alternating), /predict-transaction and
   /segment-user through the router, then the same rows one per request straight at each
   scoring server's /invocations, each for --duration seconds at --concurrency; then one
   request at a time (c=1) per route, router and direct. Memory again after the load.
5. Each --compare layout: started, warmed up, cold start and memory (no load test).
6. The original-style Spark-backed handler (bench/serving_spark_app.py), unless --skip-spark.
Writes bench/results/serving.json ("rows" feed the README table via bench/report.py).
No cache anywhere: every request reaches a model.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import serving_floor
from proc_tree import tree_memory
from serving_bench_lib import (
    BENCH_DIR,
    direct_requests,
    load,
    load_measured,
    router_requests,
    start_serve,
    start_spark_app,
    stop,
    upstream_counts,
    warm_up,
)
from serving_bench_rows import note_for, rows_for

from serving.config import ROLES
from serving.registry import RegistryReader
from shopstream.contracts import RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION
from shopstream.settings import Settings

logger = logging.getLogger("serving_bench")
ROLE_OF = {"recommendations": RECOMMENDER, "predict_transaction": TRANSACTION_PREDICTOR,
           "segment_user": USER_SEGMENTATION}


def pick_models(settings: Settings) -> tuple[dict[str, str], str]:
    """(names, source)."""
    reader = RegistryReader(settings.tracking_uri, "production",
                            credentials=settings.mlflow_credentials)
    if all(reader.production(role) for role in ROLES):
        return {r: r for r in ROLES}, "registry (shopstream train)"
    from serving.sample_models import register_sample

    tag = uuid.uuid4().hex[:8]
    names = {role: f"bench-{role}-{tag}" for role in ROLES}
    for role in ROLES:
        register_sample(settings, role, names[role])
    return names, "sample pyfuncs (serving.sample_models)"


def floor_and_visitors(settings: Settings, names: dict[str, str]) -> tuple[dict[str, Any],
                                                                             list[int]]:
    models = serving_floor.load_models(settings, names)
    known = serving_floor.known_visitors(models)
    if len(known) < 10:
        known = (known * (10 // len(known) + 1))[:10]
    floor = serving_floor.measure(models, direct_requests(known))
    del models
    gc.collect()
    return floor, known


def run_router_and_direct(serve_pid: int, summary: dict[str, Any], known: list[int],
                          dur: float, conc: int) -> dict[str, Any]:
    router, direct, c1 = {}, {}, {}
    for endpoint, reqs in router_requests(known).items():
        logger.info("router %s …", endpoint)
        role = ROLE_OF[endpoint]
        rows0, calls0 = upstream_counts(summary["router"]).get(role, (0.0, 0.0))
        router[endpoint] = load_measured(serve_pid, summary["router"], reqs, conc, dur)
        rows1, calls1 = upstream_counts(summary["router"]).get(role, (0.0, 0.0))
        if calls1 > calls0:  # how well the router coalesced requests into /invocations calls
            router[endpoint]["rows_per_invocation"] = round((rows1 - rows0) / (calls1 - calls0), 1)
    for endpoint, reqs in direct_requests(known).items():
        info = summary["models"][ROLE_OF[endpoint]]
        logger.info("direct %s at %s …", endpoint, info["url"])
        direct[endpoint] = load_measured(info["pid"], info["url"], reqs, conc, dur)
    for endpoint, reqs in router_requests(known).items():
        c1[f"router_{endpoint}"] = load(summary["router"], reqs, 1, 5)
    for endpoint, reqs in direct_requests(known).items():
        c1[f"direct_{endpoint}"] = load(summary["models"][ROLE_OF[endpoint]]["url"], reqs, 1, 5)
    return {"router": router, "direct": direct, "latency_c1": c1}


def serve_and_measure(names: dict[str, str], layout: str, known: list[int],
                      args: argparse.Namespace, full: bool) -> tuple[dict[str, Any],
                                                                     dict[str, Any]]:
    """(layout figures, load results) for one `shopstream serve --scoring-layout layout`."""
    logger.info("serve --scoring-layout %s …", layout)
    cache = Settings().services_dir / "scoring" / "models"
    cached = ([p.parent.parent.name for p in cache.glob("*/*/.complete")]
              if layout != "mlflow-serve" else [])
    proc, summary = start_serve(names, layout)
    results: dict[str, Any] = {}
    try:
        warm_up(summary["router"], router_requests(known))
        figures: dict[str, Any] = {
            "cold_start_s": summary["cold_start_s"], "serve_startup_s": summary["startup_s"],
            "models_cached_on_disk_before": sorted(set(cached) & set(names.values())),
            "memory_after_warm_up": tree_memory(proc.pid)}
        if full:
            results = run_router_and_direct(proc.pid, summary, known, args.duration,
                                            args.concurrency)
            figures["memory_after_load"] = tree_memory(proc.pid)
        figures["versions"] = {r: m["version"] for r, m in summary["models"].items()}
    finally:
        stop(proc)
    return figures, results


def run_spark(dur: float, conc: int) -> dict[str, Any]:
    proc, url = start_spark_app()
    try:
        reqs = router_requests([1])["predict_transaction"]
        load(url, reqs, 1, 5, timeout=60)  # warm-up: the first Spark jobs compile code
        return {"c1": load_measured(proc.pid, url, reqs, 1, 10, timeout=60),
                f"c{conc}": load_measured(proc.pid, url, reqs, conc, dur, timeout=60)}
    finally:
        stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--layout", default="shared", help="the layout the load test runs on")
    ap.add_argument("--compare", default="per-model,mlflow-serve",
                    help="layouts also started for cold start and memory ('' for none)")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "serving.json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("mlflow", "urllib3", "botocore", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    started = time.time()
    names, source = pick_models(settings)
    floor, known = floor_and_visitors(settings, names)
    load_before = os.getloadavg()
    layouts, results = {}, {}
    layouts[args.layout], results = serve_and_measure(names, args.layout, known, args, True)
    for other in filter(None, args.compare.split(",")):
        layouts[other], _ = serve_and_measure(names, other, known, args, False)
    if not args.skip_spark:
        results["spark"] = run_spark(args.duration, args.concurrency)
    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "models": {"source": source, "names": names,
                   "versions": layouts[args.layout]["versions"]},
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before,
                    "loadavg_after": os.getloadavg(),
                    "note": "cores shared with other work and with the load generator: "
                            "figures are noisy; server_cpu_ms_per_request and "
                            "projected_rps_2_cores are CPU accounting of the measured "
                            "process tree, less load-sensitive"},
        "setup": {"concurrency": args.concurrency, "duration_s": args.duration,
                  "layout": args.layout, "router_cache": "none",
                  "router_batching": "concurrent requests coalesced into multi-row "
                                     "/invocations calls (one model row per request)"},
        "layouts": layouts, "floor": floor, **results,
        "took_s": round(time.time() - started, 1),
    }
    report["rows"] = rows_for(report)
    report["note"] = note_for(report)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    missed = [r["measure"] for r in report["rows"] if r.get("met") is False]
    sys.stdout.write(json.dumps({"missed": missed}, indent=1) + "\n")


if __name__ == "__main__":
    main()
