"""Machine-readable progress of a long command, for a parent process to display.

`shopstream demo` runs each stage as its own `shopstream … --json` process with stderr going to
a log file, so the stage cannot draw a progress bar itself. When the ``progress_file`` setting
(``SHOPSTREAM_PROGRESS_FILE``) is set, long commands write their latest state there as one small
JSON object (replaced atomically, at most a few times a second) and the demo draws the bar.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from shopstream.settings import Settings

WRITE_INTERVAL_S = 0.5


@dataclass(frozen=True)
class Progress:
    """rows: records handled so far; done/total: work units (bytes, models, …) when known."""

    rows: int = 0
    done: float = 0.0
    total: float | None = None

    def fraction(self) -> float | None:
        if not self.total or self.total <= 0:
            return None
        return max(0.0, min(1.0, self.done / self.total))


def write_progress(path: Path, progress: Progress) -> None:
    """Replace the file's content with this state (readers never see a half-written one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(asdict(progress)))
    os.replace(tmp, path)


def read_progress(path: Path) -> Progress | None:
    """The last state written to path, or None when there is none (yet)."""
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    total = data.get("total")
    return Progress(rows=int(data.get("rows") or 0), done=float(data.get("done") or 0.0),
                    total=float(total) if total is not None else None)


class ProgressFile:
    """Accumulates updates and writes them to a file, at most every ``interval`` seconds."""

    def __init__(self, path: Path, *, interval: float = WRITE_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._state = Progress()
        self._written_at: float | None = None
        path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def state(self) -> Progress:
        return self._state

    def update(self, *, rows: int | None = None, advance: float = 0.0, done: float | None = None,
               total: float | None = None, force: bool = False) -> None:
        """Set rows / done / total, or advance done; written when due (or when forced)."""
        with self._lock:
            s = self._state
            self._state = Progress(
                rows=s.rows if rows is None else int(rows),
                done=(s.done if done is None else float(done)) + advance,
                total=s.total if total is None else float(total),
            )
            now = self._clock()
            due = self._written_at is None or now - self._written_at >= self.interval
            if force or due:
                write_progress(self.path, self._state)
                self._written_at = now

    def flush(self) -> None:
        self.update(force=True)


def progress_file(settings: Settings) -> ProgressFile | None:
    """The progress sink the settings ask for, if any."""
    return ProgressFile(settings.progress_file) if settings.progress_file else None
