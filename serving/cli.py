"""CLI commands of the serving stage: `shopstream serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from shopstream.context import CliState, settings_from
from shopstream.contracts import RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION
from shopstream.output import stderr_console


def serve_cmd(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Router port (default settings.api_port).")]
    = None,
    host: Annotated[str | None, typer.Option(help="Router bind address.")] = None,
    json_summary: Annotated[
        bool, typer.Option("--json-summary", help="Print one JSON object once models are up.")
    ] = False,
    scoring_base_port: Annotated[
        int | None, typer.Option(help="First scoring-server port (6 consecutive are used).")
    ] = None,
    scoring_workers: Annotated[
        int | None, typer.Option(help="uvicorn workers per scoring server (mlflow-serve).")
    ] = None,
    scoring_layout: Annotated[
        str | None, typer.Option(help="shared: one scoring host for all models (default); "
                                      "per-model: one host each; mlflow-serve: one `mlflow "
                                      "models serve` each.")
    ] = None,
    poll_interval: Annotated[
        float | None, typer.Option(help="Seconds between registry polls.")
    ] = None,
    recommender_model: Annotated[str | None, typer.Option(help="Registered name.")] = None,
    predictor_model: Annotated[str | None, typer.Option(help="Registered name.")] = None,
    segmentation_model: Annotated[str | None, typer.Option(help="Registered name.")] = None,
) -> None:
    """Serve the production models through MLflow's scoring server, behind a thin router."""
    from serving.config import build_config
    from serving.hosts import LAYOUTS
    from serving.main import exec_router

    if scoring_layout is not None and scoring_layout not in LAYOUTS:
        msg = f"--scoring-layout must be one of {', '.join(LAYOUTS)}"
        raise typer.BadParameter(msg)

    settings = settings_from(ctx)
    config = build_config(
        settings,
        names={RECOMMENDER: recommender_model, TRANSACTION_PREDICTOR: predictor_model,
               USER_SEGMENTATION: segmentation_model},
        scoring_base_port=scoring_base_port,
        scoring_workers=scoring_workers,
        scoring_layout=scoring_layout,
        poll_interval_s=poll_interval,
    )
    bind_host = host or settings.api_host
    bind_port = port or settings.api_port
    stderr_console().print(f"starting router on http://{bind_host}:{bind_port} "
                           f"(scoring servers from :{config.scoring_base_port}, "
                           f"layout {config.scoring_layout})")
    root = ctx.find_root().obj
    overrides = dict(root.overrides) if isinstance(root, CliState) else {}
    exec_router(settings, overrides, config, bind_host, bind_port, json_summary)


def register(app: typer.Typer) -> None:
    """Attach this stage's commands to the root app."""
    app.command("serve")(serve_cmd)
