"""The session protocol (session-rec's Retail Rocket settings) on generated and real data.

    .venv/bin/python bench/sessions_bench.py [--generated data/raw/events_full.csv]
    .venv/bin/python bench/sessions_bench.py --render   # the docs table from the last results

Runs the MLproject entry's code, `python -m pipelines evaluate-sessions --events-file F
--test-days D --json`, on (1) a generated full-size history (the given file, else
`write_events_csv(…, 2_756_101, 42)`, what `shopstream generate` writes by default; test: the
last 2 days), (2) the real whole-history sample ../shared/data/retailrocket-sample/
events_active_visitors.csv (739 visitors; test: the last 30 days, since its last 2 days hold
one test step) and (3) the real random sample events_random_50k.csv (independent rows: its
sessions are broken up, and the run is expected to find no test step; recorded as it ends).
Every figure is the protocol run's own (SKNN, V-SKNN, item2item and popularity in one run).
Writes bench/results/sessions.json and the table in docs/pipelines.md between the
``sessions:start``/``sessions:end`` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from samples import sample_dir

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "sessions.json"
DOC = ROOT / "docs" / "pipelines.md"
START, END = "<!-- sessions:start -->", "<!-- sessions:end -->"
MODELS = (("sknn", "SKNN"), ("vsknn", "V-SKNN"), ("item2item", "item2item"),
          ("popularity", "popularity"))


def protocol(events: Path, test_days: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "pipelines", "evaluate-sessions", "--events-file",
           str(events), "--test-days", f"{test_days:g}", "--json"]
    env = {**os.environ, "SHOPSTREAM_EXPERIMENT_NAME": "bench-sessions"}
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = round(time.perf_counter() - started, 1)
    shown = " ".join(["python", *cmd[1:]]).replace(str(ROOT) + "/", "")
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
        return {"command": shown, "seconds": seconds,
                "error": errors[-1] if errors else done.stderr[-2000:]}
    payload: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"command": shown, "seconds": seconds, **payload}


def generated_file(given: Path | None) -> Path:
    if given is not None and given.exists():
        return given
    out = ROOT / "data" / "bench" / "events_2756101.csv"
    if not out.exists():
        from ingestion.synthetic import write_events_csv

        out.parent.mkdir(parents=True, exist_ok=True)
        write_events_csv(out, 2_756_101, 42)
    return out


def _cell(metrics: dict[str, Any], name: str) -> str:
    return f"{metrics[f'{name}_recall_at_20']:.3f} / {metrics[f'{name}_mrr_at_20']:.3f}"


def sessions_section(data: dict[str, Any] | None) -> list[str]:
    """Markdown: one row per dataset, Recall@20 / MRR@20 of every model on the same steps."""
    if data is None:
        return ["_not run yet: `.venv/bin/python bench/sessions_bench.py`_"]
    lines = [f"From `bench/sessions_bench.py`, {data['generated_at']}: one "
             "`evaluate-sessions` run per row, every model scored on the same test steps "
             "through the pyfunc's session mode. Cells: Recall@20 / MRR@20. *served*: the "
             "strategy with the best MRR@20 on the training sessions' own last days (what a "
             "training run would serve) and its test figures; *repeat share*: steps whose "
             "next item is already in the prefix; popularity: the 20 most viewed training "
             "items.", "",
             "| data | test | " + " | ".join(label for _, label in MODELS)
             + " | served | repeat share |",
             "|---|---|" + "---|" * len(MODELS) + "---|---|"]
    for name, run in data["runs"].items():
        if "error" in run:
            lines.append(f"| {name} | {run['error'].removeprefix('error: ')} | "
                         + " | ".join("—" for _ in MODELS) + " | — | — |")
            continue
        m = run["metrics"]
        test = (f"last {run['test_days']:g} days: {int(m['test_sessions']):,} sessions, "
                f"{int(m['test_steps']):,} of {int(m['test_steps_total']):,} steps")
        served = f"{run['served_strategy']}: {_cell(m, 'served')}"
        lines.append(f"| {name} | {test} | " + " | ".join(_cell(m, k) for k, _ in MODELS)
                     + f" | {served} | {m['test_repeat_share']:.2f} |")
    lines += ["", "Commands (from the repository root):", ""]
    lines += [f"- {name}: `{run['command']}` ({run['seconds']:g} s)"
              for name, run in data["runs"].items()]
    return lines


def render() -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else None
    text = DOC.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    body = "\n".join(sessions_section(data))
    DOC.write_text(f"{head}{START}\n{body}\n{END}{tail}")
    print(f"{DOC.relative_to(ROOT)} session table updated from {RESULTS.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=Path, default=ROOT / "data" / "raw" /
                        "events_full.csv")
    parser.add_argument("--render", action="store_true", help="only re-render the docs table")
    args = parser.parse_args()
    if not args.render:
        real, generated = sample_dir(), generated_file(args.generated)
        with generated.open("rb") as f:
            rows = sum(1 for _ in f) - 1
        runs = {f"generated ({rows:,} events)": protocol(generated, 2.0),
                "real: events_active_visitors.csv": protocol(
                    real / "events_active_visitors.csv", 30.0),
                "real: events_random_50k.csv": protocol(real / "events_random_50k.csv", 30.0)}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({"generated_at": datetime.now(tz=UTC).isoformat(
            timespec="seconds"), "runs": runs}, indent=2))
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    render()


if __name__ == "__main__":
    main()
