"""`shopstream stack …` commands."""

from __future__ import annotations

from typing import Annotated

import typer

from infra import stack
from shopstream.context import settings_from
from shopstream.output import emit_json, stderr_console
from shopstream.settings import Settings

stack_app = typer.Typer(
    help="Manage the local services (profile local: Kafka, S3, MLflow; profile cluster: "
    "3 Kafka nodes, S3, PostgreSQL, MLflow with basic auth, Spark master + 2 workers).",
    no_args_is_help=True,
)

Services = Annotated[
    list[str] | None, typer.Argument(
        help="Any of: kafka s3 mlflow; on the cluster profile also postgres spark, or one "
        "node such as kafka-2 or spark-worker-1 (default: all).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]
ProfileOption = Annotated[
    str | None, typer.Option("--profile", help="local or cluster (default: SHOPSTREAM_PROFILE, "
                             "else local).")
]


def _settings(ctx: typer.Context, profile: str | None) -> Settings:
    from shopstream.errors import ConfigError
    from shopstream.profiles import PROFILES

    settings = settings_from(ctx)
    if profile is None:
        return settings
    if profile not in PROFILES:
        msg = f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}"
        raise ConfigError(msg)
    return settings.model_copy(update={"profile": profile})


def _print(statuses: dict[str, stack.ServiceStatus], as_json: bool) -> None:
    if as_json:
        emit_json(stack.as_json(statuses))
        return
    console = stderr_console()
    for name, st in statuses.items():
        state = "[green]running[/]" if st.running else "[red]stopped[/]"
        where = "external" if st.external else f"pid {st.pid}" if st.pid else "-"
        console.print(f"{name:15} {state:18} {st.address:36} {where}")


@stack_app.command("up")
def up_cmd(ctx: typer.Context, services: Services = None, as_json: JsonFlag = False,
           profile: ProfileOption = None) -> None:
    """Start services (waits until each answers; a no-op for running ones)."""
    _print(stack.up(_settings(ctx, profile), services), as_json)


@stack_app.command("down")
def down_cmd(ctx: typer.Context, services: Services = None, as_json: JsonFlag = False,
             profile: ProfileOption = None) -> None:
    """Stop services and wait for them to exit."""
    _print(stack.down(_settings(ctx, profile), services), as_json)


@stack_app.command("status")
def status_cmd(ctx: typer.Context, services: Services = None, as_json: JsonFlag = False,
               profile: ProfileOption = None) -> None:
    """Report whether each service runs and answers (pid, address, health)."""
    _print(stack.status(_settings(ctx, profile), services), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(stack_app, name="stack")
