"""MLflow's scoring app as MLflow builds it vs. ours (its timeout in pure ASGI), same model.

    .venv/bin/python bench/scoring_app_bench.py [--rounds 4] [--duration 4]

For each production model (or the sample pyfuncs when none is registered, as in
bench/serving_bench.py): two uvicorn processes on the same downloaded model, one serving
`mlflow.pyfunc.scoring_server.init(model)` and one `serving.scoring_app.scoring_app(model)`.
The load generator then drives their /invocations in turns (MLflow's, ours, MLflow's, …) so
that drift in this shared machine's speed hits both: one row per request at c=1, and at
c=32. Reported per model: median p50 latency and median CPU ms per request of each process,
and their ratio. Writes bench/results/scoring_app.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from serving_bench import ROLE_OF, pick_models
from serving_bench_lib import BENCH_DIR, direct_requests, free_port_block, load_measured, stop
from serving_floor import known_visitors

from serving.config import ROLES
from shopstream.contracts import RECOMMENDER
from shopstream.settings import Settings

VARIANTS = ("mlflow", "ours")


def serve(variant: str, model_dir: str, port: int) -> None:
    """Child process: one uvicorn serving one variant of the scoring app."""
    from serving.scoring_host import block_heavy_imports

    block_heavy_imports()
    import uvicorn
    from mlflow.pyfunc import scoring_server

    from serving.scoring_app import scoring_app
    from shopstream.gc_tuning import settle_for_serving

    model = scoring_server.load_model_with_mlflow_config(model_dir)
    app = scoring_server.init(model) if variant == "mlflow" else scoring_app(model)
    settle_for_serving()
    uvicorn.run(app, host="127.0.0.1", port=port, http="httptools", access_log=False,
                log_level="warning")


def start(variant: str, model_dir: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", variant, model_dir,
                             str(port)], start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"{variant} scoring app on :{port} did not answer /ping in 120 s")


def model_dirs(settings: Settings, names: dict[str, str]) -> dict[str, str]:
    import mlflow
    from mlflow.artifacts import download_artifacts

    os.environ.update(settings.aws_env())
    mlflow.set_tracking_uri(settings.tracking_uri)
    return {role: download_artifacts(f"models:/{names[role]}@production") for role in ROLES}


def measure(role: str, model_dir: str, requests: list[dict[str, Any]], rounds: int,
            duration: float) -> dict[str, Any]:
    port = free_port_block(2)
    procs = {v: start(v, model_dir, port + i) for i, v in enumerate(VARIANTS)}
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {v: {1: [], 32: []} for v in VARIANTS}
    try:
        for _ in range(rounds):
            for conc in (1, 32):
                for i, variant in enumerate(VARIANTS):
                    runs[variant][conc].append(load_measured(
                        procs[variant].pid, f"http://127.0.0.1:{port + i}", requests, conc,
                        duration))
    finally:
        for proc in procs.values():
            stop(proc)
    out: dict[str, Any] = {"role": role}
    for conc in (1, 32):
        for key in ("p50_ms", "server_cpu_ms_per_request", "rps"):
            values = {v: statistics.median(r[key] for r in runs[v][conc]) for v in VARIANTS}
            out[f"c{conc}_{key}"] = {**values, "ratio": round(values["ours"]
                                                              / values["mlflow"], 3)}
        out[f"c{conc}_errors"] = {v: sum(r.get("errors", 0) for r in runs[v][conc])
                                  for v in VARIANTS}
    return out


def rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = []
    for r in results:
        for conc, what in ((1, "one request at a time"), (32, "c=32, one row per request")):
            for key, unit in (("p50_ms", "p50 ms"), ("server_cpu_ms_per_request",
                                                      "CPU ms per request")):
                cell = r[f"c{conc}_{key}"]
                table.append({"measure": f"{r['role']} /invocations {unit}, {what}; "
                                         "baseline: MLflow's app as built",
                              "ours": cell["ours"], "baseline": cell["mlflow"],
                              "ratio": cell["ratio"], "target": None, "met": None})
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--duration", type=float, default=4.0)
    ap.add_argument("--serve", nargs=3, metavar=("VARIANT", "MODEL_DIR", "PORT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    settings = Settings()
    names, source = pick_models(settings)
    dirs = model_dirs(settings, names)
    import mlflow.pyfunc

    recommender = mlflow.pyfunc.load_model(dirs[RECOMMENDER])
    requests = direct_requests(known_visitors({RECOMMENDER: recommender}))
    del recommender
    endpoint_of = {role: endpoint for endpoint, role in ROLE_OF.items()}
    results = [measure(role, dirs[role], requests[endpoint_of[role]], args.rounds,
                       args.duration) for role in ROLES]
    report = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "models": {"source": source, "names": names}, "rounds": args.rounds,
              "duration_s": args.duration, "results": results, "rows": rows(results),
              "note": "medians over alternating rounds on the same machine; CPU is the "
                      "scoring process's own (user + system)"}
    out = BENCH_DIR / "results" / "scoring_app.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report["rows"], indent=1))


if __name__ == "__main__":
    main()
