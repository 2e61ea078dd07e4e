"""`shopstream demo`: the whole pipeline on the embedded default, stage by stage.

Each stage runs as its own `shopstream … --json` command, so the demo exercises exactly what a
user runs, and its JSON summary is collected for the final report (and for the README's
results table, see bench/report.py).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from shopstream.context import settings_from
from shopstream.errors import ShopstreamError
from shopstream.mlflow_links import experiment_link
from shopstream.output import emit_json, stderr_console
from shopstream.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"


class StageFailedError(ShopstreamError):
    """A demo stage exited non-zero."""


@dataclass
class StageResult:
    name: str
    ok: bool
    seconds: float
    payload: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def run_stage(name: str, args: list[str], *, timeout: float = 3600) -> StageResult:
    """Run `shopstream <args> --json`, stream its stderr (progress), parse its one JSON object."""
    console = stderr_console()
    console.rule(f"[bold]{name}[/]  shopstream {' '.join(args)}")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "shopstream", *args, "--json"],
        stdout=subprocess.PIPE, stderr=None, text=True, timeout=timeout, check=False,
    )
    seconds = round(time.monotonic() - started, 1)
    if proc.returncode != 0:
        msg = f"stage {name!r} failed (exit {proc.returncode}); its messages are above."
        raise StageFailedError(msg)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    payload = json.loads(lines[-1]) if lines else {}
    return StageResult(name, True, seconds, payload)


def _raw_file_state(settings: Settings) -> str:
    path = settings.events_file
    if not path.exists():
        return "missing"
    sidecar = path.with_name(path.name + ".generated.json")
    return "generated" if sidecar.exists() else "real"


def ingest_needed(settings: Settings) -> bool:
    """False when the batch index already holds the raw file's source (a re-run of the demo)."""
    try:
        from ingestion.batch_index import list_batches
        from ingestion.csv_blocks import source_id
    except ImportError:
        return True
    source = source_id(settings.events_file)
    return not any(source in b.seq_hwm for b in list_batches(settings))


def start_router(settings: Settings) -> StageResult:
    """`shopstream serve` in the background (stopped by `shopstream stack down`)."""
    from infra.process import live_pid, spawn, wait_until

    home = settings.services_dir / "router"
    home.mkdir(parents=True, exist_ok=True)
    pid_file, log_file = home / "router.pid", home / "router.log"
    started = time.monotonic()
    if live_pid(pid_file, "serve") is None:
        argv = [str(Path(sys.executable).parent / "shopstream"), "serve"]
        bin_dir = str(Path(sys.executable).parent)
        spawn(argv, log_file=log_file, pid_file=pid_file,
              env={"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"})
    url = f"http://{settings.api_host}:{settings.api_port}/health"
    ok = wait_until(lambda: _health_ok(url), timeout=180, interval=1.0)
    if not ok:
        msg = f"the router did not report healthy at {url} within 180 s; see {log_file}"
        raise StageFailedError(msg)
    return StageResult("serve", True, round(time.monotonic() - started, 1),
                       {"url": f"http://{settings.api_host}:{settings.api_port}",
                        "log": str(log_file)})


def _health_ok(url: str) -> bool:
    import httpx

    response = httpx.get(url, timeout=2.0)
    return response.status_code == 200 and response.json().get("status") == "ok"


def run_demo(settings: Settings, events: int | None) -> list[StageResult]:
    results: list[StageResult] = []
    state = _raw_file_state(settings)
    if state == "missing":
        args = ["generate", "--out", str(settings.events_file)]
        if events:
            args += ["--events", str(events)]
        results.append(run_stage("generate", args))
    else:
        results.append(StageResult("generate", True, 0.0, {"path": str(settings.events_file)},
                                   note=f"using the existing {state} file"))
    if ingest_needed(settings):
        results.append(run_stage("produce", ["produce", "--file", str(settings.events_file)]))
        results.append(run_stage("consume", ["consume", "--until-idle", "15"]))
    else:
        results.append(StageResult("produce", True, 0.0, note="already ingested; skipped"))
    results.append(run_stage("batches", ["batches"]))
    results.append(run_stage("train", ["train"]))
    results.append(start_router(settings))
    return results


def print_report(settings: Settings, results: list[StageResult]) -> None:
    console = stderr_console()
    console.rule("[bold green]shopstream demo: done[/]")
    for r in results:
        detail = r.note or _one_line(r.payload)
        console.print(f"[bold]{r.name:9}[/] {r.seconds:7.1f}s  {detail}")
    for line in ingestion_check(results):
        console.print(line)
    console.print(f"\nMLflow UI:  {experiment_link(settings)}")
    api = f"http://{settings.api_host}:{settings.api_port}"
    if any(r.name == "serve" for r in results):
        console.print(f"API:        {api}/docs")
        for example in example_curls(api):
            console.print(f"  {example}")
    console.print("Stop everything with: shopstream stack down")


def ingestion_check(results: list[StageResult]) -> list[str]:
    """Do the counts match the source? generated rows = sent + rejected = stored + duplicates."""
    by_name = {r.name: r.payload for r in results}
    produced, consumed = by_name.get("produce") or {}, by_name.get("consume") or {}
    if not produced or not consumed:
        return []
    source_rows = (by_name.get("generate") or {}).get("events")
    sent, rejected = produced.get("sent", 0), produced.get("rejected", 0)
    stored, dups = consumed.get("events", 0), consumed.get("duplicates", 0)
    lines = [f"source rows {source_rows}: sent {sent} + rejected {rejected}; "
             f"stored in batches {stored} (+{dups} duplicates dropped)"]
    ok = stored + dups == sent and (source_rows is None or sent + rejected == source_rows)
    lines.append("[green]counts match the source[/]" if ok else "[red]COUNTS DO NOT MATCH[/]")
    return lines


def example_curls(api: str) -> list[str]:
    predict = ('{"visitorid_to_identify": "power_shopper_candidate_789", "num_views": 120, '
               '"num_addtocart": 7, "distinct_items_interacted": 45}')
    return [
        f"curl {api}/health",
        f'curl "{api}/recommendations/257597?num_recommendations=5"',
        f"curl -X POST {api}/predict-transaction -H 'Content-Type: application/json' "
        f"-d '{predict}'",
    ]


def _one_line(payload: dict[str, Any]) -> str:
    flat = {k: v for k, v in payload.items() if not isinstance(v, dict | list)}
    return ", ".join(f"{k}={v}" for k, v in list(flat.items())[:6])


def save_results(results: list[StageResult]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / "demo.json"
    out.write_text(json.dumps({r.name: {"seconds": r.seconds, **r.payload} for r in results},
                              indent=2, default=str))
    return out


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        ctx: typer.Context,
        events: Annotated[int | None, typer.Option(help="Generated events (default: full size).")]
        = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]
        = False,
    ) -> None:
        """Run every pipeline stage on the embedded default and print a summary with URLs."""
        from infra import stack

        settings = settings_from(ctx)
        stack.up(settings)
        results = run_demo(settings, events)
        save_results(results)
        if as_json:
            emit_json({r.name: {"seconds": r.seconds, **r.payload} for r in results})
        else:
            print_report(settings, results)
