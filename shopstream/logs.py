"""Where log records go: the CLI's stderr handler, Python warnings, and log files.

Every `shopstream` command logs to stderr (stdout stays clean for --json). Python warnings
(``warnings.warn`` from MLflow, pandas, …) are routed into logging, so they land wherever the
log records go: for `shopstream demo`, the stage's log file under ``<data>/logs/demo/``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from shopstream.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose INFO/DEBUG records are internals, not our progress.
LIBRARY_LOGGERS = ("kafka", "botocore", "urllib3", "py4j", "mlflow", "alembic", "httpx")
DEMO_LOGS = "demo"


def configure_cli_logging(*, verbose: bool = False, library_level: str | None = None) -> None:
    """Our records at INFO (DEBUG when verbose) on stderr; libraries at WARNING unless
    ``library_level`` (for log files) or verbose says otherwise; warnings into logging."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT,
                        stream=sys.stderr)
    logging.captureWarnings(True)
    level = logging.DEBUG if verbose else _level(library_level, logging.WARNING)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(level)
    # kafka-python warns about its own event-loop timing on a busy machine: not actionable.
    logging.getLogger("kafka.net").setLevel(logging.DEBUG if verbose else logging.ERROR)


def _level(name: str | None, default: int) -> int:
    if not name:
        return default
    level = logging.getLevelName(name.upper())
    if not isinstance(level, int):
        msg = f"unknown log level {name!r}; use DEBUG, INFO, WARNING or ERROR"
        raise ValueError(msg)
    return level


def demo_log_dir(settings: Settings) -> Path:
    """Where `shopstream demo` keeps one log file per stage (and its own, demo.log)."""
    return settings.log_root / DEMO_LOGS


def stage_log(settings: Settings, stage: str) -> Path:
    return demo_log_dir(settings) / f"{stage}.log"


def route_logging_to_file(path: Path, *, echo: bool) -> logging.Handler:
    """Send this process's log records to ``path`` (replaced); keep the stderr handlers only
    when ``echo``. Returns the file handler (remove it with :func:`unroute`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    if not echo:
        for old in [h for h in root.handlers if _writes_to_stderr(h)]:
            root.removeHandler(old)
    root.addHandler(handler)
    return handler


def unroute(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()


def _writes_to_stderr(handler: logging.Handler) -> bool:
    stream = getattr(handler, "stream", None)
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler) and stream in (sys.stderr, sys.__stderr__)


def tail_lines(path: Path, lines: int = 30) -> list[str]:
    """The last lines of a (possibly large) log file, without reading all of it."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            text = fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return text.splitlines()[-lines:]
