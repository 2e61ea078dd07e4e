"""CLI commands of the ingestion stage."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach this stage's commands to the root app."""
    del app
