"""CLI commands of the pipelines stage: `train`, `promote`, `evaluate-sessions`.

The same functions back ``python -m pipelines.train`` / ``pipelines.promote`` /
``pipelines.session_protocol`` (MLproject's entry points) through :func:`run_standalone`.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from shopstream.context import settings_from
from shopstream.errors import ShopstreamError
from shopstream.output import emit, stderr_console

logger = logging.getLogger(__name__)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(",") if v.strip())


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",") if v.strip())


def train_cmd(
    ctx: typer.Context,
    models: Annotated[
        list[str] | None,
        typer.Option("--models",
                     help="Models to train (repeat or comma-separate); default all three."),
    ] = None,
    batches: Annotated[
        str | None,
        typer.Option(help="Batch range A-B; default the whole history."),
    ] = None,
    date_from: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD, UTC).")] = None,
    date_to: Annotated[
        str | None,
        typer.Option(help="Last day (YYYY-MM-DD, UTC), inclusive."),
    ] = None,
    events_file: Annotated[
        Path | None,
        typer.Option(help="Local events.csv instead of the object store's batches."),
    ] = None,
    original_ranges: Annotated[
        bool,
        typer.Option("--original-ranges",
                     help="Each model on the original's slice: 1-50 / 51-100 / 101-150."),
    ] = False,
    name_prefix: Annotated[str, typer.Option(help="Prefix of the registered model names.")] = "",
    promote: Annotated[
        bool,
        typer.Option("--promote/--no-promote",
                     help="Promote each new version when not worse."),
    ] = True,
    original_recipe: Annotated[
        bool,
        typer.Option("--original-recipe",
                     help="Also run the original's recipe side by side (tagged recipe=original)."),
    ] = False,
    parallel: Annotated[
        bool,
        typer.Option("--parallel/--sequential",
                     help="Train the models in parallel threads on one SparkSession."),
    ] = True,
    every_batches: Annotated[
        int,
        typer.Option(help="Keep running: retrain after every K new batches (Ctrl-C stops)."),
    ] = 0,
    als_ranks: Annotated[str, typer.Option(help="ALS ranks to search, comma-separated.")] = "16",
    als_reg_params: Annotated[str, typer.Option(help="ALS regParams to search.")] = "0.05",
    als_alphas: Annotated[str, typer.Option(help="ALS alphas to search.")] = "10,40",
    als_max_iter: Annotated[int, typer.Option(help="ALS iterations.")] = 6,
    eval_days: Annotated[
        float,
        typer.Option(help="Evaluate on the last N days of the selection."),
    ] = 14.0,
    classifier: Annotated[str, typer.Option(help="rf or gbt.")] = "rf",
    num_trees: Annotated[int, typer.Option(help="Trees (rf) or boosting rounds (gbt).")] = 40,
    max_depth: Annotated[int, typer.Option(help="Tree depth.")] = 8,
    k_min: Annotated[int, typer.Option(help="Smallest k tried.")] = 3,
    k_max: Annotated[int, typer.Option(help="Largest k tried.")] = 8,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 42,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    original_ranges_value: Annotated[str, typer.Option(hidden=True)] = "",
    original_recipe_value: Annotated[str, typer.Option(hidden=True)] = "",
    promote_value: Annotated[str, typer.Option(hidden=True)] = "",
) -> None:
    """Train, evaluate, log to MLflow, register and promote the Spark models."""
    from pipelines.train_options import build_options, flag

    settings = settings_from(ctx)
    options = build_options(
        models=models, batches=batches, date_from=date_from, date_to=date_to,
        events_file=events_file, original_ranges=flag(original_ranges_value, original_ranges),
        name_prefix=name_prefix, promote=flag(promote_value, promote),
        original_recipe=flag(original_recipe_value, original_recipe), parallel=parallel,
        recommender={"ranks": _ints(als_ranks), "reg_params": _floats(als_reg_params),
                     "alphas": _floats(als_alphas), "max_iter": als_max_iter,
                     "eval_days": eval_days, "seed": seed},
        predictor={"classifier": classifier, "num_trees": num_trees, "max_depth": max_depth,
                   "eval_days": eval_days, "seed": seed},
        segmentation={"k_min": k_min, "k_max": k_max, "seed": seed},
    )
    if every_batches > 0:
        from pipelines.continuous import train_every

        train_every(settings, options, every_batches, as_json=as_json)
        return
    from pipelines.train import train_models

    with stderr_console().status("training (Spark)…", spinner="dots"):
        payload = train_models(settings, options)
    _emit_train(payload, as_json)


def _emit_train(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(payload, as_json=True, title="")
        return
    rows: dict[str, Any] = {"seconds": payload["seconds"]}
    for model, info in payload["models"].items():
        rows[model] = (f"run {info['run_id'][:8]} v{info['version']} "
                       f"promoted={info['promoted']} {info['metrics']}")
    emit(rows, as_json=False, title="shopstream train")


def promote_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Registered model name, e.g. recommender.")],
    version: Annotated[
        str | None,
        typer.Option(help="Candidate version; default the latest."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Promote even when worse.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    force_value: Annotated[str, typer.Option(hidden=True)] = "",
) -> None:
    """Compare a version with the `production` alias on the same held-out period; move it if
    not worse."""
    from pipelines.promotion import promote
    from pipelines.train_options import flag

    decision = promote(settings_from(ctx), name, version or None, force=flag(force_value, force))
    emit(decision.to_json(), as_json=as_json, title=f"promote {name}")


def session_eval_cmd(
    ctx: typer.Context,
    batches: Annotated[str | None, typer.Option(help="Batch range A-B; default all.")] = None,
    date_from: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD).")] = None,
    events_file: Annotated[
        Path | None,
        typer.Option(help="Local events.csv instead of batches."),
    ] = None,
    test_days: Annotated[float, typer.Option(help="Last N days are the test sessions.")] = 7.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Next-item session protocol (views, 30-min sessions, support ≥ 5, length ≥ 2)."""
    from pipelines.data import DataSelection, parse_day
    from pipelines.session_protocol import evaluate_session_protocol
    from pipelines.train_options import events_path

    selection = DataSelection(batches=batches or None, date_from=parse_day(date_from),
                              date_to=parse_day(date_to), events_file=events_path(events_file))
    payload = evaluate_session_protocol(settings_from(ctx), selection, test_days=test_days)
    emit(payload, as_json=as_json, title="session protocol")


COMMANDS: dict[str, Any] = {"train": train_cmd, "promote": promote_cmd,
                            "evaluate-sessions": session_eval_cmd}


def register(app: typer.Typer) -> None:
    """Attach this stage's commands to the root app."""
    for name, command in COMMANDS.items():
        app.command(name)(command)


def run_standalone(name: str) -> None:
    """`python -m pipelines.<module>`: one command as its own program (MLproject entry points)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("py4j", "mlflow", "botocore", "urllib3", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command(name)(COMMANDS[name])
    try:
        app()
    except ShopstreamError as e:
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        sys.exit(1)
