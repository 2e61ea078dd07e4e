"""CLI commands of the serving stage: `shopstream serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from shopstream.context import settings_from
from shopstream.output import emit_json, stderr_console


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
        int | None, typer.Option(help="uvicorn workers per scoring server.")
    ] = None,
    poll_interval: Annotated[
        float | None, typer.Option(help="Seconds between registry polls.")
    ] = None,
    recommender_model: Annotated[str | None, typer.Option(help="Registered name.")] = None,
    predictor_model: Annotated[str | None, typer.Option(help="Registered name.")] = None,
    segmentation_model: Annotated[str | None, typer.Option(help="Registered name.")] = None,
) -> None:
    """Serve the production models: one `mlflow models serve` each, behind a thin router."""
    from serving.config import build_config
    from serving.runner import serve

    settings = settings_from(ctx)
    config = build_config(
        settings,
        names={"recommender": recommender_model, "transaction_predictor": predictor_model,
               "user_segmentation": segmentation_model},
        scoring_base_port=scoring_base_port,
        scoring_workers=scoring_workers,
        poll_interval_s=poll_interval,
    )
    bind_host = host or settings.api_host
    bind_port = port or settings.api_port
    console = stderr_console()

    def on_ready(payload: dict[str, object]) -> None:
        if json_summary:
            emit_json(payload)
            return
        console.print(f"[bold]router[/] {payload['router']} — {payload['status']}")
        models = payload.get("models")
        if isinstance(models, dict):
            for role, info in models.items():
                console.print(f"  {role:22} v{info.get('version')} :{info.get('port')} "
                              f"{info.get('state')}")

    console.print(f"starting router on http://{bind_host}:{bind_port} "
                  f"(scoring servers from :{config.scoring_base_port})")
    serve(settings, config, bind_host, bind_port, on_ready)


def register(app: typer.Typer) -> None:
    """Attach this stage's commands to the root app."""
    app.command("serve")(serve_cmd)
