"""Every command and sub-command answers --help (and importing the CLI starts nothing)."""

from __future__ import annotations

import typer
from typer.main import get_command
from typer.testing import CliRunner

from shopstream.cli import app

EXPECTED = {"config", "stack", "demo"}


def _paths(group: typer.core.TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        out.append(path)
        if isinstance(command, typer.core.TyperGroup):
            out.extend(_paths(command, path))
    return out


def test_every_command_has_help() -> None:
    root = get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    paths = _paths(root)
    names = {p[0] for p in paths}
    assert names >= EXPECTED
    assert ("stack", "up") in paths and ("stack", "status") in paths
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output, path
