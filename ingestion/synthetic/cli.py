"""`shopstream generate`: write a synthetic Retail Rocket events.csv (see .writer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ingestion.synthetic import DEFAULT_EVENTS, DEFAULT_SEED, write_events_csv
from shopstream.context import settings_from
from shopstream.output import emit, stderr_console


def generate_cmd(
    ctx: typer.Context,
    events: Annotated[
        int, typer.Option("--events", min=1, help="Number of events (rows) to generate.")
    ] = DEFAULT_EVENTS,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same file.")] = (
        DEFAULT_SEED
    ),
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Target CSV (default: the events_file setting)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier generated file (never real data).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    compare: Annotated[
        list[Path] | None,
        typer.Option(
            "--compare",
            help="Real events CSV to set beside the generated history (repeatable); prints a "
            "fidelity table and writes no file.",
        ),
    ] = None,
    design: Annotated[
        str | None,
        typer.Option(
            "--design",
            help="How the real sample was drawn: rows, active or visitors (default: guessed).",
        ),
    ] = None,
) -> None:
    """Write a synthetic events.csv with the real Retail Rocket file's format and shape."""
    if compare:
        from ingestion.synthetic.cli_compare import compare_cmd

        compare_cmd(compare, events, seed, design, as_json)
        return
    target = out if out is not None else settings_from(ctx).events_file
    with stderr_console().status(f"generating {events:,} events → {target}"):
        result = write_events_csv(target, events, seed, force=force)
    payload = {
        "path": result.path,
        "events": result.events,
        "visitors": result.visitors,
        "items": result.items,
        "views": result.views,
        "addtocarts": result.addtocarts,
        "transactions": result.transactions,
        "transaction_ids": result.transaction_ids,
        "seconds": result.seconds,
        "seed": result.seed,
        "reused": result.reused,
    }
    emit(
        payload,
        as_json=as_json,
        title="generated events" if not result.reused else "generated events (already up to date)",
    )


def register_generate(app: typer.Typer) -> None:
    """Attach `generate` to the given app (called by ingestion.cli.register)."""
    app.command("generate")(generate_cmd)
