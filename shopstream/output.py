"""CLI output helpers: a human summary on a terminal, or exactly one JSON object with --json."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table


def stderr_console() -> Console:
    """Progress and human messages go to stderr so stdout stays clean for --json."""
    return Console(stderr=True)


def strict_json(value: Any) -> Any:
    """`value` with NaN and ±inf as None: standard JSON has no such numbers, and parsers
    other than Python's refuse them (a segmentation with one cluster has no silhouette)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    return value


def emit_json(payload: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(strict_json(payload), default=str, allow_nan=False) + "\n")
    sys.stdout.flush()


def emit_summary(title: str, rows: Mapping[str, Any]) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("key", style="bold")
    table.add_column("value")
    for key, value in rows.items():
        table.add_row(str(key), str(value))
    Console().print(table)


def emit(payload: Mapping[str, Any], *, as_json: bool, title: str) -> None:
    if as_json:
        emit_json(payload)
    else:
        emit_summary(title, payload)
