"""`shopstream serve` is registered with its flags."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from serving.cli import register

pytestmark = pytest.mark.unit


def test_serve_command_and_flags() -> None:
    app = typer.Typer()
    register(app)

    @app.command("other")
    def other() -> None:  # a second command so typer keeps sub-command names
        """Placeholder."""

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    for flag in ("--port", "--json-summary", "--scoring-base-port", "--recommender-model",
                 "--predictor-model", "--segmentation-model", "--poll-interval"):
        assert flag in result.output
