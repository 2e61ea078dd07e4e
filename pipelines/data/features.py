"""Feature steps shared by the three models: each a typed DataFrame → DataFrame function.

Column names come from :mod:`shopstream.contracts`; timestamps stay epoch milliseconds (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from pipelines.errors import NoDataError
from shopstream import contracts as cols

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

DAY_MS = 86_400_000
MINUTE_MS = 60_000
SESSION_GAP_MINUTES = 30


@dataclass(frozen=True)
class EventWeights:
    """Implicit-feedback weight of each event type (the original used 1 / 3 / 5 as ratings)."""

    view: float = 1.0
    addtocart: float = 3.0
    transaction: float = 5.0


def add_sessions(events: DataFrame, gap_minutes: int = SESSION_GAP_MINUTES) -> DataFrame:
    """Adds session_id (visitor-local 0, 1, …) and session_start: a new session starts when
    more than `gap_minutes` pass between a visitor's consecutive events.

    Events that already carry the default-gap sessions are returned as they are: training
    sessionises (and caches) the whole selection once, and a time filter applied afterwards
    keeps exactly the sessions the filtered events would get (boundaries depend only on the
    gaps between a visitor's consecutive events).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    if gap_minutes == SESSION_GAP_MINUTES and {cols.SESSION, cols.SESSION_START} <= set(
        events.columns
    ):
        return events

    by_time = Window.partitionBy(cols.VISITORID).orderBy(cols.TIMESTAMP, cols.SEQ)
    gap = sf.col(cols.TIMESTAMP) - sf.lag(cols.TIMESTAMP).over(by_time)
    starts = events.withColumn(
        "_new", sf.when(gap.isNull() | (gap > gap_minutes * MINUTE_MS), 1).otherwise(0)
    )
    running = by_time.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    sessions = starts.withColumn(cols.SESSION, sf.sum("_new").over(running) - 1).drop("_new")
    per_session = Window.partitionBy(cols.VISITORID, cols.SESSION)
    return sessions.withColumn(cols.SESSION_START, sf.min(cols.TIMESTAMP).over(per_session))


def event_counts(events: DataFrame, keys: list[str]) -> DataFrame:
    """Per `keys`: total_events, total_views, total_addtocart, total_transactions and
    distinct_items."""
    from pyspark.sql import functions as sf

    def count_of(kind: str) -> Any:
        return sf.sum(sf.when(sf.col(cols.EVENT) == kind, 1).otherwise(0)).cast("long")

    return events.groupBy(*keys).agg(
        sf.count(sf.lit(1)).alias(cols.TOTAL_EVENTS),
        count_of(cols.VIEW).alias(cols.TOTAL_VIEWS),
        count_of(cols.ADDTOCART).alias(cols.TOTAL_ADDTOCART),
        count_of(cols.TRANSACTION).alias(cols.TOTAL_TRANSACTIONS),
        sf.countDistinct(cols.ITEMID).alias(cols.DISTINCT_ITEMS),
    )


def visitor_aggregates(events: DataFrame) -> DataFrame:
    """One row per visitor: the original's counts and ratios (view_ratio = views / events,
    addtocart_ratio = addtocarts / events, transaction_ratio = transactions / views, 0 when
    there are no views) plus distinct_items."""
    from pyspark.sql import functions as sf

    counts = event_counts(events, [cols.VISITORID])
    events_col, views_col = sf.col(cols.TOTAL_EVENTS), sf.col(cols.TOTAL_VIEWS)
    return counts.select(
        "*",
        (views_col / events_col).alias(cols.VIEW_RATIO),
        (sf.col(cols.TOTAL_ADDTOCART) / events_col).alias(cols.ADDTOCART_RATIO),
        sf.when(views_col > 0, sf.col(cols.TOTAL_TRANSACTIONS) / views_col)
        .otherwise(sf.lit(0.0)).alias(cols.TRANSACTION_RATIO),
    )


def weighted_events(events: DataFrame, weights: EventWeights) -> DataFrame:
    """Adds the column `weight`: the event type's implicit-feedback weight."""
    from pyspark.sql import functions as sf

    weight = (sf.when(sf.col(cols.EVENT) == cols.VIEW, weights.view)
              .when(sf.col(cols.EVENT) == cols.ADDTOCART, weights.addtocart)
              .when(sf.col(cols.EVENT) == cols.TRANSACTION, weights.transaction).otherwise(0.0))
    return events.withColumn(cols.WEIGHT, weight.cast("double"))


def item_confidence(events: DataFrame, weights: EventWeights, log_scale: bool = True) -> DataFrame:
    """One row per (visitor, item): confidence = log1p(Σ event weights) over all their events
    (the raw sum when log_scale is False). ALS implicitPrefs reads this as its rating."""
    from pyspark.sql import functions as sf

    summed = weighted_events(events, weights).groupBy(cols.VISITORID, cols.ITEMID).agg(
        sf.sum(cols.WEIGHT).alias(cols.CONFIDENCE)
    )
    if log_scale:
        summed = summed.withColumn(cols.CONFIDENCE, sf.log1p(cols.CONFIDENCE))
    return summed


def item_popularity(events: DataFrame) -> DataFrame:
    """One row per item: popularity = number of distinct visitors who interacted with it."""
    from pyspark.sql import functions as sf

    return events.groupBy(cols.ITEMID).agg(sf.countDistinct(cols.VISITORID).alias(cols.POPULARITY))


def time_bounds(events: DataFrame) -> tuple[int, int]:
    """(min, max) event timestamp in ms; NoDataError when there are no events."""
    from pyspark.sql import functions as sf

    row = events.agg(sf.min(cols.TIMESTAMP).alias("lo"), sf.max(cols.TIMESTAMP).alias("hi")).first()
    if row is None or row["lo"] is None:
        msg = "the selection holds no events; widen --batches / --date-from / --date-to"
        raise NoDataError(msg)
    return int(row["lo"]), int(row["hi"])


def cutoff_before_end(max_ts: int, days: float) -> int:
    """The cutoff `days` before the last event: train before it, evaluate from it on."""
    return int(max_ts - days * DAY_MS)


def before(events: DataFrame, cutoff_ms: int, column: str = cols.TIMESTAMP) -> DataFrame:
    from pyspark.sql import functions as sf

    return events.where(sf.col(column) < cutoff_ms)


def at_or_after(events: DataFrame, cutoff_ms: int, column: str = cols.TIMESTAMP) -> DataFrame:
    from pyspark.sql import functions as sf

    return events.where(sf.col(column) >= cutoff_ms)


def to_pandas(frame: DataFrame) -> pd.DataFrame:
    """frame.toPandas() with its pandas type (pyspark's stubs leave it unknown)."""
    return cast("pd.DataFrame", frame.toPandas())
