"""Glue between the typer CLI and Settings: global flags become settings overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import typer

from shopstream.settings import Settings, load_settings


@dataclass
class CliState:
    overrides: dict[str, Any] = field(default_factory=dict)
    verbose: bool = False
    _settings: Settings | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.overrides)
        return self._settings


def settings_from(ctx: typer.Context) -> Settings:
    """The effective Settings for this invocation (env + .env + global CLI flags)."""
    root = ctx.find_root()
    state = root.obj if isinstance(root.obj, CliState) else None
    if state is None:
        state = CliState()
        root.obj = state
    return state.settings()
