"""Start `shopstream serve --json-summary` as a child process and read its one-line summary.

Shared by the integration tests and bench/serving_bench.py, which both need the router and its
scoring servers as a separate process tree.
"""

from __future__ import annotations

import json
import selectors
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shopstream.contracts import RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION


def serve_argv(bin_dir: Path, port: int, scoring_base_port: int, names: Mapping[str, str],
               extra: Sequence[str] = ()) -> list[str]:
    """The `shopstream serve` command line for the three named models."""
    return [str(bin_dir / "shopstream"), "serve", "--port", str(port), "--scoring-base-port",
            str(scoring_base_port), "--json-summary", *extra,
            "--recommender-model", names[RECOMMENDER],
            "--predictor-model", names[TRANSACTION_PREDICTOR],
            "--segmentation-model", names[USER_SEGMENTATION]]


def read_summary(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any] | None:
    """The JSON summary `serve --json-summary` prints once its models answer (None: none came)."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if sel.select(timeout=1.0):
            line = proc.stdout.readline()
            if line.startswith("{"):
                summary: dict[str, Any] = json.loads(line)
                return summary
    return None
