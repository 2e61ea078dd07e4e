"""The README table rows of bench/serving_bench.py's report (bench/report.py prints them)."""

from __future__ import annotations

from typing import Any

MAX_RSS_MB = 600.0
MAX_COLD_START_S = 10.0
MIN_RPS = 2000.0
MAX_P99_MS = 25.0
MAX_C1_P50_MS = 3.0
SPARK_RATIO = 100.0
ENDPOINTS = ("recommendations", "predict_transaction", "segment_user")


def _route(ep: str) -> str:
    return "/" + ep.replace("_", "-")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def memory_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    layout = report["setup"]["layout"]
    layouts = report["layouts"]
    main = layouts[layout]
    before = (layouts.get("mlflow-serve") or {}).get("memory_after_warm_up") or {}
    rows = []
    for when in ("memory_after_warm_up", "memory_after_load"):
        mem = main.get(when)
        if not mem:
            continue
        label = when.removeprefix("memory_").replace("_", " ")
        rows.append({"measure": f"RSS MB of the serving tree (router + 3 models, layout "
                     f"{layout}) {label}; baseline: one `mlflow models serve` each",
                     "ours": mem["rss_mb"], "baseline": before.get("rss_mb"),
                     "ratio": _ratio(mem["rss_mb"], before.get("rss_mb")),
                     "target": f"≤ {MAX_RSS_MB:.0f}", "met": mem["rss_mb"] <= MAX_RSS_MB})
    for name, figures in layouts.items():
        mem = figures.get("memory_after_warm_up") or {}
        parts = ", ".join(f"{p['what']} {p['rss_mb']:.0f}" for p in mem.get("processes", []))
        rows.append({"measure": f"layout {name}: RSS MB after warm-up (PSS), cold start s; "
                     f"processes: {parts}",
                     "ours": f"{mem.get('rss_mb')} ({mem.get('pss_mb')})",
                     "baseline": figures.get("cold_start_s"), "ratio": None,
                     "target": None, "met": None})
    cold = main["cold_start_s"]
    cache = "warm" if main.get("models_cached_on_disk_before") else "empty"
    rows.append({"measure": f"cold start s: `shopstream serve` → every model answers (layout "
                 f"{layout}, model download cache {cache}); baseline: mlflow-serve",
                 "ours": cold,
                 "baseline": (layouts.get("mlflow-serve") or {}).get("cold_start_s"),
                 "ratio": None, "target": f"≤ {MAX_COLD_START_S:.0f}",
                 "met": cold <= MAX_COLD_START_S})
    return rows


def load_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    router, direct = report.get("router") or {}, report.get("direct") or {}
    c1, floor = report.get("latency_c1") or {}, report.get("floor") or {}
    conc = report["setup"]["concurrency"]
    rows = []
    for ep in ENDPOINTS:
        r, d = router.get(ep) or {}, direct.get(ep) or {}
        rows.append({"measure": f"{_route(ep)} req/s via router (c={conc}); baseline: one row "
                     "per call straight to its scoring server", "ours": r.get("rps"),
                     "baseline": d.get("rps"), "ratio": _ratio(r.get("rps"), d.get("rps")),
                     "target": f"≥ {MIN_RPS:,.0f}", "met": (r.get("rps") or 0) >= MIN_RPS})
        rows.append({"measure": f"{_route(ep)} p50 / p99 ms via router (c={conc}), errors",
                     "ours": f"{r.get('p50_ms')} / {r.get('p99_ms')}",
                     "baseline": f"errors {r.get('errors')}", "ratio": None,
                     "target": f"p99 ≤ {MAX_P99_MS:.0f}, 0 errors",
                     "met": (r.get("p99_ms") or 1e9) <= MAX_P99_MS and r.get("errors") == 0})
        rows.append({"measure": f"{_route(ep)} server CPU ms per request (router + scoring "
                     "host) and projected req/s on 2 dedicated cores",
                     "ours": r.get("server_cpu_ms_per_request"),
                     "baseline": r.get("projected_rps_2_cores"), "ratio": None,
                     "target": None, "met": None})
        if "rows_per_invocation" in r:
            rows.append({"measure": f"{_route(ep)} rows per /invocations call via router "
                         f"(c={conc}, concurrent requests coalesced); baseline: direct, one "
                         "row per call", "ours": r["rows_per_invocation"], "baseline": 1,
                         "ratio": None, "target": None, "met": None})
        one, straight = c1.get(f"router_{ep}") or {}, c1.get(f"direct_{ep}") or {}
        fl = floor.get(ep) or {}
        numpy = (f", numpy top-k over the catalogue {fl['numpy_top_k_p50_ms']}"
                 if "numpy_top_k_p50_ms" in fl else "")
        rows.append({"measure": f"{_route(ep)} single request p50 ms via router; baseline: "
                     f"straight to the scoring server (floor, in-process on one row: "
                     f"pyfunc {fl.get('pyfunc_one_row_p50_ms')}, MLflow's invocations "
                     f"{fl.get('invocations_one_row_p50_ms')}{numpy})",
                     "ours": one.get("p50_ms"), "baseline": straight.get("p50_ms"),
                     "ratio": _ratio(one.get("p50_ms"), straight.get("p50_ms")),
                     "target": f"≤ {MAX_C1_P50_MS:.0f}",
                     "met": (one.get("p50_ms") or 1e9) <= MAX_C1_P50_MS})
    return rows


def spark_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    spark = (report.get("spark") or {}).get("c1") or {}
    one = (report.get("latency_c1") or {}).get("router_predict_transaction") or {}
    if not spark or not one.get("p50_ms"):
        return []
    ratio = spark["p50_ms"] / one["p50_ms"]
    return [{"measure": "single-request p50 ms /predict-transaction: router vs original-style "
             "Spark job per request", "ours": one["p50_ms"], "baseline": spark["p50_ms"],
             "ratio": round(ratio, 1), "target": f"≥ {SPARK_RATIO:.0f}x lower",
             "met": ratio >= SPARK_RATIO}]


def note_for(report: dict[str, Any]) -> str:
    setup, machine = report["setup"], report["machine"]
    before = ", ".join(f"{x:.1f}" for x in machine["loadavg_before"])
    after = ", ".join(f"{x:.1f}" for x in machine["loadavg_after"])
    return (f"Models: {report['models']['source']}, versions {report['models']['versions']}; "
            f"c={setup['concurrency']} for {setup['duration_s']:.0f} s per route; wrk on the "
            f"same {machine['cpus']} cores, shared with other work: load average {before} "
            f"before, {after} after. Under load, req/s and latencies say more about the "
            f"machine than about serving; CPU ms per request is the steadier figure.")


def rows_for(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [*memory_rows(report), *load_rows(report), *spark_rows(report)]
