"""The `shopstream` console command. Each stage package contributes its own sub-commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from shopstream.context import CliState, settings_from
from shopstream.errors import ShopstreamError
from shopstream.logs import configure_cli_logging
from shopstream.output import emit_json, emit_summary

app = typer.Typer(
    name="shopstream",
    help="Shop event streams → Kafka → object store → Spark MLlib → MLflow registry → REST.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(help="Project data folder.")] = None,
    kafka: Annotated[
        str | None, typer.Option("--kafka", help="External Kafka bootstrap servers.")
    ] = None,
    s3_endpoint: Annotated[str | None, typer.Option(help="External S3 endpoint URL.")] = None,
    tracking_uri: Annotated[str | None, typer.Option(help="External MLflow tracking URI.")] = None,
    spark_master: Annotated[str | None, typer.Option(help="Spark master URL.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    library_log_level: Annotated[str | None, typer.Option(
        hidden=True, help="Level of library loggers (Kafka, MLflow, …); `demo` sets INFO for "
        "the log files of its stages.")] = None,
) -> None:
    """Global flags override SHOPSTREAM_* environment variables and .env."""
    try:
        configure_cli_logging(verbose=verbose, library_level=library_log_level)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--library-log-level") from e
    ctx.obj = CliState(
        overrides={
            "data_dir": data_dir,
            "kafka_bootstrap_servers": kafka,
            "s3_endpoint_url": s3_endpoint,
            "mlflow_tracking_uri": tracking_uri,
            "spark_master": spark_master,
        },
        verbose=verbose,
    )


@app.command("config")
def config_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Print the effective settings, secrets masked."""
    masked = settings_from(ctx).masked()
    if as_json:
        emit_json(masked)
    else:
        emit_summary("shopstream settings", masked)


def _register_stages() -> None:
    from infra.cli import register as register_infra
    from ingestion.cli import register as register_ingestion
    from pipelines.cli import register as register_pipelines
    from serving.cli import register as register_serving
    from shopstream.demo import register as register_demo

    for register in (
        register_infra,
        register_ingestion,
        register_pipelines,
        register_serving,
        register_demo,
    ):
        register(app)


_register_stages()


def main() -> None:
    try:
        app()
    except ShopstreamError as e:
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        sys.exit(1)
