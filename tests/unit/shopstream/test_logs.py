"""Log routing: the CLI's handler, Python warnings into logging, a process's records into a
file (the demo's own log), and reading a log's tail. Logging is process-global, so each case
runs in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from shopstream.logs import demo_log_dir, stage_log, tail_lines
from shopstream.settings import PROJECT_ROOT, Settings

ROUTED = textwrap.dedent("""
    import logging, sys, warnings
    from pathlib import Path
    from shopstream.logs import configure_cli_logging, route_logging_to_file
    configure_cli_logging(library_level=sys.argv[2])
    route_logging_to_file(Path(sys.argv[1]), echo=sys.argv[3] == "echo")
    logging.getLogger("shopstream.demo").info("our progress record")
    logging.getLogger("kafka.cluster").info("library internals")
    logging.getLogger("kafka.cluster").error("Topic retail-events not found")
    warnings.warn("a library's UserWarning", UserWarning, stacklevel=1)
""")


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120, check=False)


def test_records_and_warnings_go_to_the_file_not_the_terminal(tmp_path: Path) -> None:
    log = tmp_path / "demo" / "demo.log"
    done = _python("-c", ROUTED, str(log), "INFO", "quiet")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""
    text = log.read_text()
    assert "INFO shopstream.demo: our progress record" in text
    assert "INFO kafka.cluster: library internals" in text  # library level INFO for files
    assert "ERROR kafka.cluster: Topic retail-events not found" in text
    assert "WARNING py.warnings:" in text and "a library's UserWarning" in text


def test_echo_keeps_the_terminal_handler_and_libraries_default_to_warning(
        tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    done = _python("-c", ROUTED, str(log), "", "echo")
    assert done.returncode == 0, done.stderr
    assert "our progress record" in done.stderr and "our progress record" in log.read_text()
    assert "library internals" not in log.read_text()  # libraries at WARNING by default
    assert "Topic retail-events not found" in log.read_text()


def test_an_unknown_library_level_is_refused() -> None:
    done = _python("-m", "shopstream", "--library-log-level", "LOUD", "config", "--json")
    assert done.returncode == 2
    assert "unknown log level 'LOUD'" in done.stderr


def test_stage_logs_live_under_the_data_folder_unless_set(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert demo_log_dir(settings) == tmp_path / "logs" / "demo"
    assert stage_log(settings, "train") == tmp_path / "logs" / "demo" / "train.log"
    moved = Settings(data_dir=tmp_path, logs_dir=tmp_path / "elsewhere",  # type: ignore[call-arg]
                     _env_file=None)
    assert stage_log(moved, "train") == tmp_path / "elsewhere" / "demo" / "train.log"


def test_tail_reads_the_last_lines_of_a_large_log(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_text("".join(f"line {i}\n" for i in range(200_000)))
    assert tail_lines(log, 3) == ["line 199997", "line 199998", "line 199999"]
    assert tail_lines(tmp_path / "absent.log") == []
