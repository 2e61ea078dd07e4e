"""Serving benchmark (a script, not a test): router vs. scoring servers vs. a Spark handler.

    .venv/bin/python bench/serving_bench.py [--duration 20] [--concurrency 32] [--skip-spark]

1. Models: the registry's recommender / transaction_predictor / user_segmentation at alias
   production when `shopstream train` registered them, else small sample pyfuncs registered
   under unique names (serving.sample_models).
2. `shopstream serve` (router + three `mlflow models serve`) as its own process tree.
3. A load generator in another process (wrk when installed, else async httpx) drives
   /recommendations (known and unknown visitors alternating), /predict-transaction and
   /segment-user through the router, then the same rows one per request straight at each
   scoring server's /invocations, each for --duration seconds at --concurrency.
4. The original-style Spark-backed handler (bench/serving_spark_app.py): one SparkSession,
   a one-row DataFrame and a Spark job per request, same load, plus a concurrency-1 probe.
Writes bench/results/serving.json. No cache anywhere: every request reaches a model.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from serving_bench_lib import (
    BENCH_DIR,
    direct_requests,
    load,
    load_measured,
    router_requests,
    start_serve,
    start_spark_app,
    stop,
)

from serving.config import ROLES
from serving.registry import RegistryReader
from shopstream.settings import Settings

logger = logging.getLogger("serving_bench")
TARGET_RPS, TARGET_P99_MS, TARGET_RATIO = 800.0, 50.0, 100.0
ROLE_OF = {"recommendations": "recommender", "predict_transaction": "transaction_predictor",
           "segment_user": "user_segmentation"}


def pick_models(settings: Settings) -> tuple[dict[str, str], str, list[int]]:
    """(names, source, known visitor ids)."""
    reader = RegistryReader(settings.tracking_uri, "production")
    if all(reader.production(role) for role in ROLES):
        return {r: r for r in ROLES}, "registry (shopstream train)", known_visitors(settings)
    from serving.sample_models import KNOWN_VISITORS, register_sample

    tag = uuid.uuid4().hex[:8]
    names = {role: f"bench-{role}-{tag}" for role in ROLES}
    for role in ROLES:
        register_sample(settings, role, names[role])
    return names, "sample pyfuncs (serving.sample_models)", list(KNOWN_VISITORS) * 17


def known_visitors(settings: Settings, n: int = 50) -> list[int]:
    import mlflow.pyfunc

    os.environ.update(settings.aws_env())
    mlflow.set_tracking_uri(settings.tracking_uri)
    model = mlflow.pyfunc.load_model("models:/recommender@production").unwrap_python_model()
    ids = [int(v) for v in model.arrays.user_ids[:n]]
    return ids or [1]


def run_router_and_direct(serve_pid: int, summary: dict[str, Any], known: list[int],
                          dur: float, conc: int) -> dict[str, Any]:
    router, direct = {}, {}
    for endpoint, reqs in router_requests(known).items():
        logger.info("router %s …", endpoint)
        router[endpoint] = load_measured(serve_pid, summary["router"], reqs, conc, dur)
    for endpoint, reqs in direct_requests(known).items():
        info = summary["models"][ROLE_OF[endpoint]]
        logger.info("direct %s at %s …", endpoint, info["url"])
        direct[endpoint] = load_measured(info["pid"], info["url"], reqs, conc, dur)
    probe_reqs = router_requests(known)["predict_transaction"]
    c1 = {"router_predict_transaction": load(summary["router"], probe_reqs, 1, 5)}
    return {"router": router, "direct": direct, "latency_c1": c1}


def run_spark(dur: float, conc: int) -> dict[str, Any]:
    proc, url = start_spark_app()
    try:
        reqs = router_requests([1])["predict_transaction"]
        load(url, reqs, 1, 5, timeout=60)  # warm-up: the first Spark jobs compile code
        return {"c1": load_measured(proc.pid, url, reqs, 1, 10, timeout=60),
                f"c{conc}": load_measured(proc.pid, url, reqs, conc, dur, timeout=60)}
    finally:
        stop(proc)


def verdict(results: dict[str, Any], conc: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for endpoint, r in results["router"].items():
        out[endpoint] = {"rps_ok": r["rps"] >= TARGET_RPS, "p99_ok": r["p99_ms"] <= TARGET_P99_MS,
                         "zero_errors": r["errors"] == 0}
    spark = results.get("spark")
    if spark:
        ratio_c1 = spark["c1"]["p50_ms"] / results["latency_c1"]["router_predict_transaction"][
            "p50_ms"]
        ratio_load = spark[f"c{conc}"]["p50_ms"] / results["router"]["predict_transaction"][
            "p50_ms"]
        out["p50_ratio_spark_over_router"] = {"c1": round(ratio_c1, 1),
                                              f"c{conc}": round(ratio_load, 1),
                                              "ok": min(ratio_c1, ratio_load) >= TARGET_RATIO}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "serving.json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("mlflow", "urllib3", "botocore", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    names, source, known = pick_models(settings)
    started = time.time()
    load_before = os.getloadavg()
    proc, summary = start_serve(names)
    try:
        results = run_router_and_direct(proc.pid, summary, known, args.duration,
                                        args.concurrency)
    finally:
        stop(proc)
    if not args.skip_spark:
        results["spark"] = run_spark(args.duration, args.concurrency)
    report = {
        "models": {"source": source, "names": names,
                   "versions": {r: m["version"] for r, m in summary["models"].items()}},
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before,
                    "loadavg_after": os.getloadavg(),
                    "note": "2 cores shared with other work: figures are noisy; "
                          "server_cpu_ms_per_request and projected_rps_2_cores are CPU "
                          "accounting of the measured process tree, less load-sensitive"},
        "setup": {"concurrency": args.concurrency, "duration_s": args.duration,
                  "serve_startup_s": summary["startup_s"], "router_cache": "none",
                  "router_batching": "concurrent requests coalesced into multi-row "
                                     "/invocations calls (one model row per request)"},
        **results,
        "targets": verdict(results, args.concurrency),
        "took_s": round(time.time() - started, 1),
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    sys.stdout.write(json.dumps(report["targets"]) + "\n")


if __name__ == "__main__":
    main()
