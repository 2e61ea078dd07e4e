"""Load generator for bench/serving_bench.py: wrk when installed, else an async httpx loop.

Run as its own process so it does not share the measured servers' event loop:

    python bench/serving_loadgen.py --base URL --requests reqs.json -c 32 -d 20

reqs.json: [{"method": "GET"|"POST", "path": "/...", "body": {...} | null}, ...], used in turn.
Prints one JSON object: requests, rps, p50_ms, p99_ms, errors, tool.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nRESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua(requests: list[dict[str, Any]]) -> str:
    lines = ["local reqs = {}", "local i = 0", "init = function(args)"]
    for n, req in enumerate(requests, start=1):
        body = json.dumps(req["body"]) if req.get("body") is not None else None
        body_lua = f"[==[{body}]==]" if body else "nil"
        headers = '{["Content-Type"] = "application/json"}' if body else "{}"
        lines.append(f'  reqs[{n}] = wrk.format("{req["method"]}", [==[{req["path"]}]==], '
                     f"{headers}, {body_lua})")
    lines += ["end", f"local n = {len(requests)}",
              "request = function()", "  i = (i % n) + 1", "  return reqs[i]", "end", LUA_DONE]
    return "\n".join(lines)


def run_wrk(base: str, requests: list[dict[str, Any]], conc: int, dur: float,
            threads: int, timeout: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_lua(requests))
        script = f.name
    argv = ["wrk", f"-t{threads}", f"-c{conc}", f"-d{int(dur)}s", "--timeout",
            f"{int(timeout)}s", "-s", script, base]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    Path(script).unlink(missing_ok=True)
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    secs = raw["duration_us"] / 1e6
    return {"tool": "wrk", "requests": raw["requests"], "rps": round(raw["requests"] / secs, 1),
            "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000,
            "errors": raw["status_errors"] + raw["socket_errors"]}


async def _httpx_loop(base: str, requests: list[dict[str, Any]], conc: int,
                      dur: float, timeout: float) -> dict[str, Any]:
    import httpx

    lat: list[float] = []
    errors = 0
    counter = 0
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        end = time.monotonic() + dur

        async def worker() -> None:
            nonlocal errors, counter
            while time.monotonic() < end:
                req = requests[counter % len(requests)]
                counter += 1
                t0 = time.perf_counter()
                try:
                    r = await client.request(req["method"], req["path"], json=req.get("body"))
                    ok = r.status_code < 400
                except httpx.HTTPError:
                    ok = False
                lat.append(time.perf_counter() - t0)
                errors += 0 if ok else 1

        start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(conc)))
        secs = time.monotonic() - start
    lat.sort()
    n = len(lat)
    return {"tool": "httpx", "requests": n, "rps": round(n / secs, 1),
            "p50_ms": round(lat[n // 2] * 1000, 3) if n else None,
            "p99_ms": round(lat[min(n - 1, int(n * 0.99))] * 1000, 3) if n else None,
            "max_ms": round(lat[-1] * 1000, 3) if n else None, "errors": errors}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--requests", required=True, type=Path)
    ap.add_argument("-c", "--concurrency", type=int, default=32)
    ap.add_argument("-d", "--duration", type=float, default=20.0)
    ap.add_argument("-t", "--threads", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=5.0, help="per request, seconds")
    ap.add_argument("--tool", choices=("auto", "wrk", "httpx"), default="auto")
    args = ap.parse_args()
    requests = json.loads(args.requests.read_text())
    use_wrk = args.tool == "wrk" or (args.tool == "auto" and shutil.which("wrk"))
    if use_wrk:
        result = run_wrk(args.base, requests, args.concurrency, args.duration, args.threads,
                         args.timeout)
    else:
        result = asyncio.run(_httpx_loop(args.base, requests, args.concurrency, args.duration,
                                            args.timeout))
    result.update(concurrency=args.concurrency, duration_s=args.duration)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
