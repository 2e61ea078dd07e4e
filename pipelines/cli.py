"""CLI commands of the pipelines stage: `train`, `promote`, `evaluate-sessions`.

The model options of `train` (``--als-ranks``, ``--num-trees``, ``--k-max``, …) are not written
here: they are the public fields of each registered model's params dataclass, added to the
command's signature by :func:`with_model_options`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from pipelines.models.recommender.params import SESSION_TEST_DAYS
from shopstream.context import settings_from
from shopstream.output import emit, stderr_console

logger = logging.getLogger(__name__)


def with_model_options(func: Callable[..., None]) -> Callable[..., None]:
    """`func(ctx, …, model_values: dict)` as a command whose signature lists every public
    model parameter as an option; their values reach `func` as ``model_values``."""
    from pipelines.lifecycle.options import model_params

    params = model_params()
    base = [p for p in inspect.signature(func, eval_str=True).parameters.values()
            if p.name != "model_values"]
    extra = [inspect.Parameter(
        p.name, inspect.Parameter.KEYWORD_ONLY, default=p.text(p.default) if p.is_tuple
        else p.default,
        annotation=Annotated[str if p.is_tuple else p.kind, typer.Option(help=p.help)],
    ) for p in params.values()]

    def command(**kwargs: Any) -> None:
        values = {name: params[name].parse(kwargs.pop(name)) if params[name].is_tuple
                  else kwargs.pop(name) for name in list(kwargs) if name in params}
        func(**kwargs, model_values=values)

    command.__signature__ = inspect.Signature([*base, *extra])  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in [*base, *extra]}
    command.__doc__ = func.__doc__
    command.__name__ = func.__name__
    return command


def train_cmd(
    ctx: typer.Context,
    models: Annotated[
        list[str] | None,
        typer.Option("--models", help="Models to train (repeat or comma-separate); default all."),
    ] = None,
    batches: Annotated[str | None, typer.Option(help="Batch range A-B; default all.")] = None,
    date_from: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD, UTC).")] = None,
    date_to: Annotated[
        str | None, typer.Option(help="Last day (YYYY-MM-DD, UTC), inclusive.")] = None,
    events_file: Annotated[
        Path | None, typer.Option(help="Local events.csv instead of the object store's batches."),
    ] = None,
    original_ranges: Annotated[bool, typer.Option(
        "--original-ranges", help="Each model on the original's slice: 1-50 / 51-100 / 101-150.",
    )] = False,
    name_prefix: Annotated[str, typer.Option(help="Prefix of the registered model names.")] = "",
    promote: Annotated[bool, typer.Option(
        "--promote/--no-promote", help="Promote each new version when not worse.")] = True,
    original_recipe: Annotated[bool, typer.Option(
        "--original-recipe",
        help="Also run the original's recipe side by side (tagged recipe=original).")] = False,
    parallel: Annotated[bool, typer.Option(
        "--parallel/--sequential",
        help="Train the models in parallel threads on one SparkSession.")] = True,
    every_batches: Annotated[int, typer.Option(
        help="Keep running: retrain after every K new batches (Ctrl-C stops).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    model_values: dict[str, Any] | None = None,
) -> None:
    """Train, evaluate, log to MLflow, register and promote the Spark models."""
    from pipelines.lifecycle.options import build_options, selection_from

    options = build_options(
        models, selection_from(batches, date_from, date_to, events_file), model_values or {},
        original_ranges=original_ranges, name_prefix=name_prefix, promote=promote,
        original_recipe=original_recipe, parallel=parallel)
    run_training(settings_from(ctx), options, every_batches=every_batches, as_json=as_json)


def run_training(settings: Any, options: Any, *, every_batches: int = 0,
                 as_json: bool = False) -> None:
    """Train once (or every K batches) and print the summary: `shopstream train` and the
    module entry ``python -m pipelines train`` both end here."""
    if every_batches > 0:
        from pipelines.lifecycle.continuous import train_every

        train_every(settings, options, every_batches, as_json=as_json)
        return
    from pipelines.lifecycle.train import train_models
    from shopstream.progress_file import progress_file

    with stderr_console().status("training (Spark)…", spinner="dots"):
        payload = train_models(settings, options, progress=progress_file(settings))
    emit_training(payload, as_json)


def emit_training(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(payload, as_json=True, title="")
        return
    rows: dict[str, Any] = {"seconds": payload["seconds"]}
    for model, info in payload["models"].items():
        rows[model] = (f"run {info['run_id'][:8]} v{info['version']} "
                       f"promoted={info['promoted']} {info['metrics']}")
        if info.get("version_url"):
            rows[f"{model} in MLflow"] = info["version_url"]
    emit(rows, as_json=False, title="shopstream train")


def promote_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name, e.g. recommender.")],
    version: Annotated[
        str | None, typer.Option(help="Candidate version; default the latest.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Promote even when worse.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the verdict and the thresholds; move nothing, record nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Compare a version with the `production` alias on the same held-out period, through the
    validation gate (thresholds: SHOPSTREAM_VALIDATION_THRESHOLDS); move the alias if it
    passes."""
    from pipelines.lifecycle.promotion import promote

    decision = promote(settings_from(ctx), name, version or None, force=force, dry_run=dry_run)
    title = f"promote {name}" + (" (dry run: nothing moved)" if dry_run else "")
    emit(decision.to_json() if as_json else decision.summary(), as_json=as_json, title=title)


def session_eval_cmd(
    ctx: typer.Context,
    batches: Annotated[str | None, typer.Option(help="Batch range A-B; default all.")] = None,
    date_from: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD).")] = None,
    events_file: Annotated[
        Path | None, typer.Option(help="Local events.csv instead of batches.")] = None,
    test_days: Annotated[float, typer.Option(
        help="Sessions ending in the last N days are the test set.")] = SESSION_TEST_DAYS,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Next-item session protocol under session-rec's Retail Rocket settings (views, 30-min
    sessions, support ≥ 5, length ≥ 2, repeats kept): SKNN, V-SKNN, item2item, popularity."""
    from pipelines.experiments.session_protocol import evaluate_session_protocol
    from pipelines.lifecycle.options import selection_from

    selection = selection_from(batches, date_from, date_to, events_file)
    payload = evaluate_session_protocol(settings_from(ctx), selection, test_days=test_days)
    emit(payload, as_json=as_json, title="session protocol")


def register(app: typer.Typer) -> None:
    """Attach this stage's commands to the root app."""
    app.command("train")(with_model_options(train_cmd))
    app.command("promote")(promote_cmd)
    app.command("evaluate-sessions")(session_eval_cmd)
