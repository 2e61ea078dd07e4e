"""Running one `shopstream demo` stage as its own process, its output in a log file.

The stage's stderr (our log records, Python warnings, the Spark JVM, Kafka client and MLflow
output) goes straight into ``<data>/logs/demo/<stage>.log``; its stdout (the one JSON summary,
plus whatever libraries print there) is collected and appended to the same file. While it
runs, its progress file feeds the display, and with --verbose the log is echoed live. When it
fails, the error names the log and shows its last lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from shopstream.demo_display import Display, StageEnd
from shopstream.errors import ShopstreamError
from shopstream.logs import tail_lines
from shopstream.progress_file import read_progress

POLL_S = 0.25
TAIL_LINES = 30
# Library loggers (Kafka, MLflow, …) write INFO into the stage logs: the internals are kept.
LIBRARY_LOG_LEVEL = "INFO"


class StageFailedError(ShopstreamError):
    """A demo stage exited non-zero (or did not come up)."""


@dataclass
class StageResult:
    name: str
    ok: bool
    seconds: float
    payload: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    log: Path | None = None
    rows: int | None = None


@dataclass(frozen=True)
class StageRun:
    """One stage process: its name, `shopstream` arguments and where its output goes."""

    name: str
    args: Sequence[str]
    log: Path
    expected_rows: int | None = None
    rows_key: str | None = None
    """The summary's row count, for stages that report no progress."""
    describe: Callable[[dict[str, Any]], str] | None = None
    """A note for the stage's line, from its summary."""
    timeout: float = 3600.0
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def progress_path(self) -> Path:
        return self.log.with_name(f".{self.name}.progress.json")

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "shopstream", "--library-log-level", LIBRARY_LOG_LEVEL,
                *self.args, "--json"]


def failure_message(what: str, log: Path, lines: int = TAIL_LINES) -> str:
    """'<what>. Last lines of <log>: …' — the tail shown when a stage fails."""
    tail = "\n".join(f"  | {line}" for line in tail_lines(log, lines)) or "  | (empty)"
    return f"{what}. Full log: {log}\nLast lines of the log:\n{tail}"


def last_json_line(stdout: str) -> tuple[dict[str, Any], list[str]]:
    """(the last line that is a JSON object, every other non-blank line)."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    for i in range(len(lines) - 1, -1, -1):
        try:
            value = json.loads(lines[i])
        except ValueError:
            continue
        if isinstance(value, dict):
            return value, lines[:i] + lines[i + 1:]
    return {}, lines


def run_stage_process(run: StageRun, display: Display, *, echo: IO[str] | None = None,
                      argv: list[str] | None = None) -> StageResult:
    """Run the stage, its output into run.log; returns its parsed JSON summary. ``argv``
    replaces `python -m shopstream …` (tests); ``echo`` gets the log live (--verbose)."""
    run.log.parent.mkdir(parents=True, exist_ok=True)
    run.progress_path.unlink(missing_ok=True)
    env = {**os.environ, **run.env, "SHOPSTREAM_PROGRESS_FILE": str(run.progress_path)}
    command = argv or run.argv()
    started_wall, started = time.time(), time.monotonic()
    display.start(run.name, run.expected_rows)
    run.log.write_text(f"# shopstream demo, stage {run.name}: {' '.join(command)}\n")
    with run.log.open("a", encoding="utf-8") as log, tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=log, stdin=subprocess.DEVNULL,
                                env=env, text=True)
        code = _wait(proc, run, display, _echoer(run.log, echo))
        out.seek(0)
        payload, other = last_json_line(out.read())
        if other:
            log.write("# stdout:\n" + "\n".join(other) + "\n")
    seconds = round(time.monotonic() - started, 1)
    progress = read_progress(run.progress_path)
    run.progress_path.unlink(missing_ok=True)
    rows = progress.rows if progress and progress.rows else _int(payload.get(run.rows_key or ""))
    note = run.describe(payload) if run.describe and code == 0 else ""
    display.end(StageEnd(run.name, started_wall, seconds, rows, ok=code == 0, note=note))
    if code != 0:
        what = (f"stage {run.name!r} timed out after {run.timeout:.0f}s" if code is None
                else f"stage {run.name!r} failed (exit {code})")
        raise StageFailedError(failure_message(what, run.log))
    return StageResult(run.name, True, seconds, payload, log=run.log, rows=rows)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and value else None


def _wait(proc: subprocess.Popen[str], run: StageRun, display: Display,
          echo: Callable[[], None]) -> int | None:
    """The exit code, or None after killing a stage that ran past its timeout."""
    deadline = time.monotonic() + run.timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            echo()
            return None
        display.update(read_progress(run.progress_path))
        echo()
        time.sleep(POLL_S)
    echo()
    return proc.returncode


def _echoer(path: Path, stream: IO[str] | None) -> Callable[[], None]:
    """A function that copies what was appended to path since its last call to stream."""
    if stream is None:
        return lambda: None
    offset = 0

    def echo() -> None:
        nonlocal offset
        with path.open("rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
        offset += len(chunk)
        if chunk:
            stream.write(chunk.decode("utf-8", errors="replace"))
            stream.flush()

    return echo


def run_in_process(name: str, work: Callable[[], StageResult], display: Display) -> StageResult:
    """A stage the demo runs itself (the stack, the router): same display, same failure."""
    started_wall, started = time.time(), time.monotonic()
    display.start(name)
    try:
        result = work()
    except ShopstreamError:
        display.end(StageEnd(name, started_wall, round(time.monotonic() - started, 1),
                             ok=False))
        raise
    display.end(StageEnd(name, started_wall, result.seconds, result.rows, note=result.note))
    return result

