"""CLI commands of the ingestion stage: produce, consume, batches (and generate, if present)."""

from __future__ import annotations

import importlib.util
import logging
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from shopstream.context import settings_from
from shopstream.output import emit, emit_json

logger = logging.getLogger(__name__)


def produce_cmd(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", help="Events CSV (default: events_file setting).")] = None,  # noqa: E501
    topic: Annotated[str | None, typer.Option(help="Kafka topic (default: topic setting).")] = None,
    rate: Annotated[float | None, typer.Option(help="Fixed rate, events per second.")] = None,
    replay_speed: Annotated[
        float | None, typer.Option(help="Event-time replay at X times real speed.")
    ] = None,
    jitter: Annotated[
        str | None, typer.Option(help="Random sleep MIN_S,MAX_S between sends.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N data rows.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Producer processes, each owning a share of partitions.")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Send every valid row of the events file to Kafka; invalid rows go to the DLQ topic."""
    from ingestion.pacing import Pacer, parse_jitter
    from ingestion.producer import ProduceOptions, produce_file
    from ingestion.progress import progress_bar
    from shopstream.progress_file import progress_file

    settings = settings_from(ctx)
    path = file or settings.events_file
    options = ProduceOptions(
        path=path, topic=topic or settings.topic, dlq_topic=settings.dlq_topic,
        pacer=Pacer(rate=rate, replay_speed=replay_speed, jitter=parse_jitter(jitter)),
        limit=limit,
    )
    if workers > 1:
        from ingestion.producer_workers import produce_parallel

        stats = produce_parallel(settings, options, workers)
    else:
        total = path.stat().st_size if path.is_file() else None
        with progress_bar(f"producing {path.name}", total, progress_file(settings)) as update:

            def report(nbytes: int, sent: int, rejected: int) -> None:
                update(advance=nbytes, rows=sent + rejected,
                       description=f"sent {sent:,}  rejected {rejected:,}")

            stats = produce_file(settings, options, report)
    payload = stats.as_json()
    if as_json:
        emit_json(payload)
    else:
        emit({**payload, "topic": options.topic, "source": stats.source}, as_json=False,
             title="produce")


def consume_cmd(
    ctx: typer.Context,
    topic: Annotated[str | None, typer.Option(help="Kafka topic (default: topic setting).")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Events per batch.")] = None,
    until_idle: Annotated[
        float | None, typer.Option(help="Exit after this many seconds without events.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Write events from Kafka to numbered batches in the object store (exactly once).

    --json: {"batches", "events", "rejected", "duplicates", "seconds", "events_per_s"}; seconds
    is busy time, from the first record received to the last batch stored.
    """
    from ingestion.consumer import BatchConsumer, ConsumeOptions
    from ingestion.progress import progress_bar
    from shopstream.progress_file import progress_file

    settings = settings_from(ctx)
    options = ConsumeOptions(
        topic=topic or settings.topic, dlq_topic=settings.dlq_topic,
        batch_size=batch_size or settings.batch_size, until_idle=until_idle, fmt=fmt,
    )
    stopping: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        logger.info("signal %d: flushing the open batch and stopping", signum)
        stopping.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        consumer = BatchConsumer(settings, options, should_stop=lambda: bool(stopping))
        with progress_bar(f"consuming {options.topic}", None, progress_file(settings)) as update:
            consumer.on_progress = lambda st: update(
                rows=st.events + st.duplicates + st.rejected,
                description=f"batches {st.batches:,}  events {st.events:,}  "
                f"duplicates {st.duplicates:,}  rejected {st.rejected:,}"
            )
            stats = consumer.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    emit(stats.as_json(), as_json=as_json, title="consume")


def batches_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """List the batch index."""
    from ingestion.batch_index import list_batches

    entries = list_batches(settings_from(ctx))
    total = sum(e.rows for e in entries)
    if as_json:
        emit_json({"batches": [e.to_json() for e in entries], "total_rows": total})
        return
    from rich.table import Table

    table = Table(title=f"{len(entries)} batches, {total:,} rows", title_justify="left")
    for column in ("number", "rows", "partition", "offsets", "min_ts", "max_ts", "key"):
        table.add_column(column)
    for e in entries:
        first, last = next(iter(e.offsets.values()), [0, 0])
        table.add_row(str(e.number), f"{e.rows:,}", str(e.partition), f"{first}-{last}",
                      str(e.min_ts), str(e.max_ts), e.key)
    typer.echo(_render(table))


def _render(table: Any) -> str:
    from rich.console import Console

    console = Console(width=200)
    with console.capture() as capture:
        console.print(table)
    return capture.get()


def register(app: typer.Typer) -> None:
    """Attach this stage's commands to the root app."""
    app.command("produce")(produce_cmd)
    app.command("consume")(consume_cmd)
    app.command("batches")(batches_cmd)
    if importlib.util.find_spec("ingestion.synthetic.cli") is not None:
        from ingestion.synthetic.cli import register_generate

        register_generate(app)
