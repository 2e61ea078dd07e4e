"""CLI output helpers: a human summary on a terminal, or exactly one JSON object with --json."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table


def stderr_console() -> Console:
    """Progress and human messages go to stderr so stdout stays clean for --json."""
    return Console(stderr=True)


def emit_json(payload: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, default=str) + "\n")
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
