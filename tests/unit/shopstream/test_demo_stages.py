"""A demo stage's output goes to its log file, never to the terminal; its JSON summary and
progress come back; a failure names the log and shows its tail. The stage is a real child
process (a small Python script standing in for `shopstream <stage> --json`)."""

from __future__ import annotations

import io
import sys
import textwrap
from pathlib import Path

import pytest

from shopstream.demo_display import LineDisplay
from shopstream.demo_stages import (
    StageFailedError,
    StageResult,
    StageRun,
    last_json_line,
    run_stage_process,
)

NOISY_STAGE = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from shopstream.progress_file import ProgressFile
    sys.stderr.write("26/12/07 10:46:30 WARN NativeCodeLoader: JVM chatter\\n")
    sys.stderr.write("2026/12/07 INFO mlflow.pyfunc: Validating input example\\n")
    sink = ProgressFile(Path(os.environ["SHOPSTREAM_PROGRESS_FILE"]))
    sink.update(rows=1234, done=1, total=1, force=True)
    print("View run lucky-run-1 at: http://127.0.0.1:5000/#/experiments/1")
    print(json.dumps({"sent": 1234, "rejected": 0}))
""")
FAILING_STAGE = textwrap.dedent("""
    import sys
    for i in range(100):
        sys.stderr.write(f"line {i}\\n")
    sys.stderr.write("RuntimeError: boom\\n")
    sys.exit(3)
""")


def _run(tmp_path: Path, script: str) -> tuple[StageResult, io.StringIO]:
    shown = io.StringIO()
    run = StageRun("produce", ["produce"], tmp_path / "logs" / "produce.log")
    result = run_stage_process(run, LineDisplay(shown), argv=[sys.executable, "-c", script])
    return result, shown


def test_stage_output_goes_to_its_log_and_the_summary_comes_back(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    result, shown = _run(tmp_path, NOISY_STAGE)
    terminal = capfd.readouterr()
    assert terminal.out == "" and terminal.err == ""  # nothing from the child reaches us
    log = (tmp_path / "logs" / "produce.log").read_text()
    assert "WARN NativeCodeLoader: JVM chatter" in log
    assert "mlflow.pyfunc: Validating input example" in log
    assert "View run lucky-run-1" in log  # the child's other stdout lines are kept too
    assert result.payload == {"sent": 1234, "rejected": 0}
    assert result.rows == 1234 and result.log == tmp_path / "logs" / "produce.log"
    line = shown.getvalue()
    assert line.count("\n") == 1 and "produce" in line and "1,234 rows" in line
    assert "NativeCodeLoader" not in line
    assert not list((tmp_path / "logs").glob(".*progress*"))  # cleaned up


def test_a_failed_stage_names_its_log_and_shows_the_tail(tmp_path: Path) -> None:
    with pytest.raises(StageFailedError) as failure:
        _run(tmp_path, FAILING_STAGE)
    message = str(failure.value)
    assert "stage 'produce' failed (exit 3)" in message
    assert str(tmp_path / "logs" / "produce.log") in message
    assert "RuntimeError: boom" in message and "line 99" in message
    assert "line 10\n" not in message  # only the tail


def test_verbose_echoes_the_log_live(tmp_path: Path) -> None:
    echoed = io.StringIO()
    run = StageRun("produce", ["produce"], tmp_path / "produce.log")
    run_stage_process(run, LineDisplay(io.StringIO()), echo=echoed,
                      argv=[sys.executable, "-c", NOISY_STAGE])
    assert "JVM chatter" in echoed.getvalue()
    assert "JVM chatter" in (tmp_path / "produce.log").read_text()


def test_a_stage_past_its_timeout_is_stopped(tmp_path: Path) -> None:
    run = StageRun("train", ["train"], tmp_path / "train.log", timeout=0.5)
    with pytest.raises(StageFailedError, match="timed out"):
        run_stage_process(run, LineDisplay(io.StringIO()),
                          argv=[sys.executable, "-c", "import time; time.sleep(60)"])


def test_rows_from_the_summary_when_a_stage_reports_no_progress(tmp_path: Path) -> None:
    run = StageRun("batches", ["batches"], tmp_path / "batches.log", rows_key="total_rows")
    result = run_stage_process(run, LineDisplay(io.StringIO()), argv=[
        sys.executable, "-c", "print('{\"batches\": [], \"total_rows\": 40000}')"])
    assert result.rows == 40000


def test_the_last_json_object_is_the_summary() -> None:
    payload, other = last_json_line('noise\n{"a": 1}\n\n🏃 View run x\n')
    assert payload == {"a": 1} and other == ["noise", "🏃 View run x"]
    assert last_json_line("no json here\n") == ({}, ["no json here"])


def test_stage_command_is_shopstream_with_library_logs_and_json() -> None:
    argv = StageRun("train", ["train"], Path("x.log")).argv()
    assert argv[:3] == [sys.executable, "-m", "shopstream"]
    assert argv[3:5] == ["--library-log-level", "INFO"] and argv[-2:] == ["train", "--json"]
