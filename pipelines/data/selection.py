"""Which events a training run reads, and reading them into Spark.

A :class:`DataSelection` names batches ("A-B", from the object store's batch index), a date
range, and/or a local events.csv (``events_file``, development and tests). Spark reads the
selected batches straight from s3a:// and drops duplicate (source, seq) pairs — a read-side
safety net should a replayed file have produced a second copy of a batch.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.errors import NoDataError, PipelinesError
from shopstream import contracts as cols
from shopstream.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from pipelines.data.profile import DataProfile

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class DataSelection:
    """What to read. Nothing set → the whole history in the batch index."""

    batches: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    events_file: Path | None = None


@dataclass
class LoadedEvents:
    """The events DataFrame plus a description of where it came from (for MLflow)."""

    frame: DataFrame
    source_uris: list[str]
    digest: str
    batches: str
    description: dict[str, Any] = field(default_factory=dict)
    profile: DataProfile | None = None  # set by training, for the runs' data reports


def parse_range(spec: str | None) -> tuple[int, int] | None:
    """ "A-B" → (A, B); "A" → (A, A); None/"" → None (the contract's parser, this stage's error)."""
    try:
        return cols.parse_batch_range(spec)
    except ValueError as e:
        raise PipelinesError(str(e)) from None


def parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        msg = f"dates must be YYYY-MM-DD, got {text!r}"
        raise PipelinesError(msg) from e


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def load_events(spark: SparkSession, settings: Settings, selection: DataSelection) -> LoadedEvents:
    """Read the selection into a DataFrame of the contract's columns (deduplicated, dated)."""
    if selection.events_file is not None:
        loaded = _load_csv(spark, settings, selection)
    else:
        loaded = _load_batches(spark, settings, selection)
    loaded.frame = _filter_dates(loaded.frame, selection)
    return loaded


def _filter_dates(frame: DataFrame, selection: DataSelection) -> DataFrame:
    from pyspark.sql import functions as sf

    if selection.date_from is not None:
        frame = frame.where(sf.col(cols.TIMESTAMP) >= day_start_ms(selection.date_from))
    if selection.date_to is not None:
        end = day_start_ms(selection.date_to + timedelta(days=1))
        frame = frame.where(sf.col(cols.TIMESTAMP) < end)
    return frame


def _load_batches(
    spark: SparkSession, settings: Settings, selection: DataSelection
) -> LoadedEvents:
    from ingestion.batch_index import select_batches

    entries = select_batches(settings, selection.batches)
    if not entries:
        msg = (f"no batches selected ({selection.batches or 'all'}) in "
               f"s3://{settings.events_bucket}/{settings.batches_prefix}/; ingest events first "
               "(`shopstream ingest …`) or pass --events-file")
        raise NoDataError(msg)
    uris = [e.uri(settings) for e in entries]
    formats = {getattr(e, "format", "parquet") for e in entries}
    frames = [_read_uris(spark, [u for u, e in zip(uris, entries, strict=True)
                                 if getattr(e, "format", "parquet") == fmt], fmt)
              for fmt in sorted(formats)]
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    frame = frame.dropDuplicates([cols.SOURCE, cols.SEQ])
    numbers = [int(e.number) for e in entries]
    digest = hashlib.sha256(
        "".join(str(getattr(e, "sha256", "")) for e in entries).encode()
    ).hexdigest()[:32]
    return LoadedEvents(
        frame=frame, source_uris=uris, digest=digest, batches=f"{min(numbers)}-{max(numbers)}",
        description={"kind": "batches", "count": len(entries),
                     "location": f"s3://{settings.events_bucket}/{settings.batches_prefix}/"},
    )


def _read_uris(spark: SparkSession, uris: list[str], fmt: str) -> DataFrame:
    from pyspark.sql import functions as sf

    if fmt == "csv":
        frame = spark.read.csv(uris, header=True, schema=_batch_schema())
    else:  # the schema the consumer writes: inferring it reads footers (10 s for 278 batches)
        frame = spark.read.schema(_batch_schema()).parquet(*uris)
    return frame.select(
        sf.col(cols.TIMESTAMP).cast("long"), sf.col(cols.VISITORID).cast("long"),
        sf.col(cols.EVENT),
        sf.col(cols.ITEMID).cast("long"), sf.col(cols.TRANSACTIONID).cast("long"),
        sf.col(cols.SEQ).cast("long"), sf.col(cols.SOURCE).cast("string"),
    )


def _batch_schema() -> Any:
    return cols.spark_schema(cols.batch_schema())


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:32]


def _load_csv(spark: SparkSession, settings: Settings, selection: DataSelection) -> LoadedEvents:
    """events.csv → DataFrame; seq = 1-based row number, so batch ranges still apply."""
    import pandas as pd

    path = Path(selection.events_file or "")
    if not path.exists():
        msg = (f"events file {path} not found; generate one with `shopstream generate` "
               "or fix --events-file")
        raise NoDataError(msg)
    pdf = pd.read_csv(path, dtype={"event": "string"})
    missing = {cols.TIMESTAMP, cols.VISITORID, cols.EVENT, cols.ITEMID} - set(pdf.columns)
    if missing:
        msg = f"{path} lacks column(s) {sorted(missing)}; expected events.csv's header"
        raise NoDataError(msg)
    digest = file_digest(path)
    pdf[cols.SEQ] = range(1, len(pdf) + 1)
    pdf[cols.SOURCE] = digest
    bounds = parse_range(selection.batches)
    if bounds is not None:
        first = (bounds[0] - 1) * settings.batch_size + 1
        last = bounds[1] * settings.batch_size
        pdf = pdf[(pdf[cols.SEQ] >= first) & (pdf[cols.SEQ] <= last)]
    if pdf.empty:
        msg = f"no events in {path} for batches {selection.batches}; choose a smaller range"
        raise NoDataError(msg)
    txn = (pdf[cols.TRANSACTIONID] if cols.TRANSACTIONID in pdf.columns
           else pd.Series([None] * len(pdf), index=pdf.index))
    pdf[cols.TRANSACTIONID] = pd.to_numeric(txn, errors="coerce").astype("Int64")
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    selected = pdf[[cols.TIMESTAMP, cols.VISITORID, cols.EVENT, cols.ITEMID, cols.TRANSACTIONID,
                    cols.SEQ, cols.SOURCE]]
    frame = spark.createDataFrame(selected.astype({cols.EVENT: "object"}), schema=_csv_schema())
    first_batch = 1 if bounds is None else bounds[0]
    last_batch = (int(pdf[cols.SEQ].max()) - 1) // settings.batch_size + 1
    return LoadedEvents(
        frame=frame, source_uris=[path.resolve().as_uri()], digest=digest,
        batches=f"{first_batch}-{last_batch}",
        description={"kind": "file", "rows": len(pdf), "file": path.name,
                     "location": str(path.resolve())},
    )


def _csv_schema() -> Any:
    return cols.spark_schema(cols.event_schema())
