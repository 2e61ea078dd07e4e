"""`shopstream demo`: the whole pipeline on the embedded default, stage by stage.

Each stage runs as its own `shopstream … --json` command, so the demo exercises exactly what a
user runs, and its JSON summary is collected for the final report (and for the README's
results table, see bench/report.py). The terminal shows our progress and that summary only:
each stage's own output (Spark's JVM, the Kafka client, MLflow) goes to its log file under
``<data>/logs/demo/`` (see demo_stages), named in the summary, and shown live with --verbose.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from shopstream.context import CliState, settings_from
from shopstream.demo_display import Display, StageEnd, make_display
from shopstream.demo_stages import (
    StageFailedError,
    StageResult,
    StageRun,
    failure_message,
    run_in_process,
    run_stage_process,
)
from shopstream.logs import demo_log_dir, route_logging_to_file, stage_log, unroute
from shopstream.mlflow_links import experiment_link
from shopstream.output import emit_json, stderr_console
from shopstream.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
DEMO_LOG = "demo.log"


__all__ = ["StageFailedError", "StageResult", "register", "run_demo"]


class Stages:
    """Runs the demo's stages with one display; ``echo`` gets each stage's log live."""

    def __init__(self, settings: Settings, display: Display, echo: Any = None) -> None:
        self.settings = settings
        self.display = display
        self.echo = echo

    def run(self, name: str, args: list[str], *, expected_rows: int | None = None,
            rows_key: str | None = None,
            describe: Callable[[dict[str, Any]], str] | None = None) -> StageResult:
        run = StageRun(name, args, stage_log(self.settings, name), expected_rows=expected_rows,
                       rows_key=rows_key, describe=describe)
        return run_stage_process(run, self.display, echo=self.echo)

    def skipped(self, name: str, note: str, payload: dict[str, Any] | None = None) -> StageResult:
        self.display.end(StageEnd(name, time.time(), 0.0, note=note))
        return StageResult(name, True, 0.0, payload or {}, note=note)


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
        what = f"the router did not report healthy at {url} within 180 s"
        raise StageFailedError(failure_message(what, log_file))
    return StageResult("serve", True, round(time.monotonic() - started, 1),
                       {"url": f"http://{settings.api_host}:{settings.api_port}",
                        "log": str(log_file)}, log=log_file)


def _health_ok(url: str) -> bool:
    import httpx

    response = httpx.get(url, timeout=2.0)
    return response.status_code == 200 and response.json().get("status") == "ok"


def run_demo(settings: Settings, events: int | None, stages: Stages) -> list[StageResult]:
    results: list[StageResult] = []
    state = _raw_file_state(settings)
    if state == "missing":
        args = ["generate", "--out", str(settings.events_file)]
        if events:
            args += ["--events", str(events)]
        results.append(stages.run("generate", args, rows_key="events"))
    else:
        results.append(stages.skipped("generate", f"using the existing {state} file",
                                      {"path": str(settings.events_file)}))
    if ingest_needed(settings):
        produced = stages.run("produce", ["produce", "--file", str(settings.events_file)])
        results.append(produced)
        results.append(stages.run("consume", ["consume", "--until-idle", "15"],
                                  expected_rows=produced.payload.get("sent")))
    else:
        results.append(stages.skipped("produce", "already ingested; skipped"))
    results.append(stages.run("batches", ["batches"], describe=_batches_note))
    results.append(stages.run("train", ["train"]))
    results.append(run_in_process("serve", lambda: start_router(settings), stages.display))
    return results


def _batches_note(payload: dict[str, Any]) -> str:
    return (f"{len(payload.get('batches') or []):,} batches, "
            f"{payload.get('total_rows') or 0:,} rows in the index")


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
    for line in log_lines(settings, results):
        console.print(line, highlight=False, soft_wrap=True)


def log_lines(settings: Settings, results: list[StageResult]) -> list[str]:
    """The summary's log section: where each stage's own output (Spark, Kafka client, MLflow)
    was kept."""
    logs = [(r.name, r.log) for r in results if r.log is not None]
    lines = [f"\nLogs (each stage's Spark, Kafka client and MLflow output) in "
             f"{demo_log_dir(settings)}:"]
    lines += [f"  {name:9} {path}" for name, path in logs]
    lines.append(f"  {'demo':9} {demo_log_dir(settings) / DEMO_LOG}")
    return lines


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


def save_results(results: list[StageResult], out: Path | None = None) -> Path:
    out = out or RESULTS_DIR / "demo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({r.name: {"seconds": r.seconds, **r.payload} for r in results},
                              indent=2, default=str))
    return out


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        ctx: typer.Context,
        events: Annotated[int | None, typer.Option(help="Generated events (default: full size).")]
        = None,
        verbose: Annotated[bool, typer.Option(
            "--verbose", "-v", help="Show each stage's own output (Spark, Kafka, MLflow) live; "
            "it is kept in <data>/logs/demo/ either way.")] = False,
        results_file: Annotated[Path | None, typer.Option(
            help="Where the stages' JSON summaries go (default bench/results/demo.json).")]
        = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]
        = False,
    ) -> None:
        """Run every pipeline stage on the embedded default and print a summary with URLs."""
        root = ctx.find_root().obj
        verbose = verbose or (isinstance(root, CliState) and root.verbose)
        settings = settings_from(ctx)
        handler = route_logging_to_file(demo_log_dir(settings) / DEMO_LOG, echo=verbose)
        try:
            results = _run(settings, events, verbose=verbose)
        finally:
            unroute(handler)
        save_results(results, results_file)
        if as_json:
            emit_json({r.name: {"seconds": r.seconds, **r.payload} for r in results})
        else:
            print_report(settings, results)


def _run(settings: Settings, events: int | None, *, verbose: bool) -> list[StageResult]:
    """The stack, then every stage; the display picks bars (a terminal) or lines."""
    display = make_display(sys.stderr, verbose=verbose)
    stages = Stages(settings, display, echo=sys.stderr if verbose else None)
    run_in_process("stack", lambda: _stack_up(settings), display)
    return run_demo(settings, events, stages)


def _stack_up(settings: Settings) -> StageResult:
    from infra import stack

    started = time.monotonic()
    statuses = stack.up(settings)
    note = ", ".join(f"{name} {'external' if st.external else 'up'}"
                     for name, st in statuses.items())
    return StageResult("stack", True, round(time.monotonic() - started, 1), note=note,
                       log=demo_log_dir(settings) / DEMO_LOG)
