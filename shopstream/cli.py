"""The `shopstream` console command. Each stage package contributes its own sub-commands."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from shopstream.context import CliState, settings_from
from shopstream.errors import ShopstreamError
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
) -> None:
    """Global flags override SHOPSTREAM_* environment variables and .env."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    noisy_loggers = ("kafka", "botocore", "urllib3", "py4j", "mlflow", "alembic", "httpx")
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    # kafka-python warns about its own event-loop timing on a busy machine: not actionable.
    logging.getLogger("kafka.net").setLevel(logging.DEBUG if verbose else logging.ERROR)
    ctx.obj = CliState(
        overrides={
            "data_dir": data_dir,
            "kafka_bootstrap_servers": kafka,
            "s3_endpoint_url": s3_endpoint,
            "mlflow_tracking_uri": tracking_uri,
            "spark_master": spark_master,
        }
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
