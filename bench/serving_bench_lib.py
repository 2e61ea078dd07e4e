"""Helpers of bench/serving_bench.py: free ports, child processes, request sets."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from proc_tree import tree_cpu_s

from serving.launch import read_summary, serve_argv
from shopstream.contracts import INVOCATIONS_KEY

BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent


def free_port_block(n: int) -> int:
    for _ in range(200):
        base = random.randint(20000, 32000)  # below the ephemeral range
        ok = True
        for port in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    msg = f"no {n} consecutive free ports"
    raise RuntimeError(msg)


def child_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def start_serve(names: dict[str, str], layout: str = "shared",
                timeout: float = 300.0) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """`shopstream serve` as its own process tree; the summary gains cold_start_s: seconds from
    the command's start until it reported every model answering a real /invocations."""
    port, base = free_port_block(1), free_port_block(6)
    argv = serve_argv(VENV_BIN, port, base, names, extra=("--scoring-layout", layout))
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=child_env(),
                            start_new_session=True)
    summary = read_summary(proc, timeout)
    if summary is not None:
        summary["cold_start_s"] = round(time.monotonic() - started, 2)
        if summary["status"] != "ok":
            stop(proc)
            msg = f"serve came up degraded: {summary}"
            raise RuntimeError(msg)
        return proc, summary
    stop(proc)
    msg = "shopstream serve did not report ready"
    raise RuntimeError(msg)


def warm_up(base: str, requests: dict[str, list[dict[str, Any]]], n: int = 100) -> None:
    """n requests per route, one at a time (first calls compile, fill caches, open pools)."""
    import httpx

    with httpx.Client(base_url=base, timeout=30) as client:
        for reqs in requests.values():
            for req in (reqs * (n // len(reqs) + 1))[:n]:
                client.request(req["method"], req["path"], json=req.get("body"))


def start_spark_app(timeout: float = 240.0) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port_block(1)
    log_path = Path(tempfile.gettempdir()) / "shopstream-bench-spark-app.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, str(BENCH_DIR / "serving_spark_app.py"), "--port",
                             str(port)], stdout=log, stderr=subprocess.STDOUT, env=child_env(),
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, url
        time.sleep(1.0)
    stop(proc)
    msg = f"Spark-backed handler did not start; see {log_path}"
    raise RuntimeError(msg)


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def load_measured(pid: int, base: str, requests: list[dict[str, Any]], conc: int,
                  dur: float, **kw: Any) -> dict[str, Any]:
    """load() plus the CPU the measured process tree spent per answered request."""
    before = tree_cpu_s(pid)
    result = load(base, requests, conc, dur, **kw)
    spent = tree_cpu_s(pid) - before
    if result["requests"]:
        per = spent * 1000 / result["requests"]
        result["server_cpu_ms_per_request"] = round(per, 3)
        # What two dedicated cores would sustain for this tree alone (load generator excluded).
        result["projected_rps_2_cores"] = round(2000 / per, 0) if per else None
    return result


def upstream_counts(base: str) -> dict[str, tuple[float, float]]:
    """role → (rows, /invocations calls) the router has sent so far, from its /metrics."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict[str, list[float]] = {}
    text = httpx.get(f"{base}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        which = {"shopstream_upstream_rows": 0, "shopstream_upstream_batches": 1}.get(family.name)
        if which is None:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                counts.setdefault(sample.labels["role"], [0.0, 0.0])[which] = sample.value
    return {role: (rows, calls) for role, (rows, calls) in counts.items()}


def load(base: str, requests: list[dict[str, Any]], conc: int, dur: float,
         tool: str = "auto", timeout: float = 5.0) -> dict[str, Any]:
    """Run the load generator in its own process; returns its JSON result."""
    req_file = BENCH_DIR / "results" / ".requests.json"
    req_file.write_text(json.dumps(requests))
    argv = [sys.executable, str(BENCH_DIR / "serving_loadgen.py"), "--base", base,
            "--requests", str(req_file), "-c", str(conc), "-d", str(dur), "--tool", tool,
            "--timeout", str(timeout)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, env=child_env())
    req_file.unlink(missing_ok=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ---- request sets -----------------------------------------------------------------------
def predictor_rows(n: int = 100) -> list[dict[str, int]]:
    rng = random.Random(1)
    rows = []
    for _ in range(n):
        views, carts = rng.randint(0, 150), rng.randint(0, 8)
        rows.append({"num_views": views, "num_addtocart": carts,
                     "distinct_items_interacted": rng.randint(0, views + carts)})
    return rows


def segment_rows(n: int = 100) -> list[dict[str, Any]]:
    rng = random.Random(2)
    rows = []
    for _ in range(n):
        views, carts, buys = rng.randint(1, 400), rng.randint(0, 40), rng.randint(0, 20)
        buys = min(buys, views)
        events = views + carts + buys + rng.randint(0, 20)
        rows.append({"total_events": events, "total_views": views, "total_addtocart": carts,
                     "total_transactions": buys, "view_ratio": round(views / events, 4),
                     "addtocart_ratio": round(carts / events, 4),
                     "transaction_ratio": round(buys / views, 4)})
    return rows


def router_requests(known: list[int]) -> dict[str, list[dict[str, Any]]]:
    unknown = [900_000_000 + i for i in range(len(known))]
    visitors = [v for pair in zip(known, unknown, strict=True) for v in pair]
    return {
        "recommendations": [{"method": "GET", "path": f"/recommendations/{v}"
                             "?num_recommendations=5", "body": None} for v in visitors],
        "predict_transaction": [{"method": "POST", "path": "/predict-transaction",
                                 "body": {"visitorid_to_identify": f"bench-{i}", **row}}
                                for i, row in enumerate(predictor_rows())],
        "segment_user": [{"method": "POST", "path": "/segment-user",
                          "body": {"visitorid_to_identify": i, **row}}
                         for i, row in enumerate(segment_rows())],
    }


def direct_requests(known: list[int]) -> dict[str, list[dict[str, Any]]]:
    unknown = [900_000_000 + i for i in range(len(known))]
    visitors = [v for pair in zip(known, unknown, strict=True) for v in pair]

    def inv(row: dict[str, Any]) -> dict[str, Any]:
        return {"method": "POST", "path": "/invocations", "body": {INVOCATIONS_KEY: [row]}}

    return {
        "recommendations": [inv({"mode": "visitor", "visitorid": v, "items": "[]", "k": 5,
                                 "exclude_purchased": False}) for v in visitors],
        "predict_transaction": [inv(r) for r in predictor_rows()],
        "segment_user": [inv({"visitorid": -1, **r}) for r in segment_rows()],
    }
