"""`shopstream stack …` commands."""

from __future__ import annotations

from typing import Annotated

import typer

from infra import stack
from shopstream.context import settings_from
from shopstream.output import emit_json, stderr_console

stack_app = typer.Typer(
    help="Manage the local Kafka, S3 and MLflow services.", no_args_is_help=True
)

Services = Annotated[
    list[str] | None, typer.Argument(help="Any of: kafka s3 mlflow (default: all).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]


def _print(statuses: dict[str, stack.ServiceStatus], as_json: bool) -> None:
    if as_json:
        emit_json(stack.as_json(statuses))
        return
    console = stderr_console()
    for name, st in statuses.items():
        state = "[green]running[/]" if st.running else "[red]stopped[/]"
        where = "external" if st.external else f"pid {st.pid}" if st.pid else "-"
        console.print(f"{name:7} {state:18} {st.address:28} {where}")


@stack_app.command("up")
def up_cmd(ctx: typer.Context, services: Services = None, as_json: JsonFlag = False) -> None:
    """Start services (waits until each answers; a no-op for running ones)."""
    _print(stack.up(settings_from(ctx), services), as_json)


@stack_app.command("down")
def down_cmd(ctx: typer.Context, services: Services = None, as_json: JsonFlag = False) -> None:
    """Stop services with SIGTERM and wait for them to exit."""
    _print(stack.down(settings_from(ctx), services), as_json)


@stack_app.command("status")
def status_cmd(ctx: typer.Context, services: Services = None, as_json: JsonFlag = False) -> None:
    """Report whether each service runs and answers."""
    _print(stack.status(settings_from(ctx), services), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(stack_app, name="stack")
