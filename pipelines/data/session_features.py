"""Leak-free session rows for the transaction predictor (Spark).

One row per (visitor, session), scored at a *prediction point* chosen the same way for every
session, whatever happens later: after its first c events, c drawn uniformly from 1 … n-1
(n = the session's events, seeded by visitor and session), so every session keeps at least one
event to come. This is the moment the API scores: "the session so far, no purchase yet".

- features read only the first c events (current session) and the visitor's earlier sessions
  (history);
- label = a transaction among the session's events after the first c;
- sessions that already bought within their first c events are dropped (the API is not asked
  about a session that has bought), as are one-event sessions (nothing comes after).

The rule never looks at the label, so buyers and non-buyers are cut alike (the earlier rule
stopped buyers at their first purchase and showed non-buyers whole).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipelines.data.features import DAY_MS
from shopstream import contracts as cols

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

EVENT_RANK = "event_rank"  # 1-based position of an event in its session
SESSION_EVENTS = "session_events"
CUT = "prediction_point"  # features read events with rank <= CUT
NO_PREVIOUS = -1.0

SESSION_FEATURES = (*cols.REQUIRED_SESSION_FEATURES, *cols.OPTIONAL_SESSION_FEATURES)


def mark_prediction_point(sessions: DataFrame, seed: int = 42) -> DataFrame:
    """Adds each event's rank in its session, the session's length and its prediction point
    (null for one-event sessions, which still count as history)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    per_session = Window.partitionBy(cols.VISITORID, cols.SESSION)
    ordered = per_session.orderBy(cols.TIMESTAMP, cols.SEQ)
    n = sf.count(sf.lit(1)).over(per_session)
    draw = sf.pmod(sf.xxhash64(cols.VISITORID, cols.SESSION, sf.lit(seed)),
                   sf.greatest(n - 1, sf.lit(1)))
    return (sessions.withColumn(EVENT_RANK, sf.row_number().over(ordered))
            .withColumn(SESSION_EVENTS, n)
            .withColumn(CUT, sf.when(n >= 2, draw + 1).cast("long")))


def current_session_features(marked: DataFrame) -> DataFrame:
    """Per session, from its events up to the prediction point; sessions that bought there
    are dropped."""
    from pyspark.sql import functions as sf

    def count_of(kind: str) -> Any:
        return sf.sum(sf.when(sf.col(cols.EVENT) == kind, 1).otherwise(0)).cast("long")

    seen = marked.where(sf.col(EVENT_RANK) <= sf.col(CUT))
    return seen.groupBy(cols.VISITORID, cols.SESSION).agg(
        sf.min(cols.SESSION_START).alias(cols.SESSION_START),
        count_of(cols.VIEW).alias(cols.NUM_VIEWS),
        count_of(cols.ADDTOCART).alias(cols.NUM_ADDTOCART),
        count_of(cols.TRANSACTION).alias("_bought"),
        sf.countDistinct(cols.ITEMID).cast("long").alias(cols.DISTINCT_ITEMS_INTERACTED),
        ((sf.max(cols.TIMESTAMP) - sf.min(cols.SESSION_START)) / 1000.0).alias(cols.DURATION_S),
        sf.hour(sf.timestamp_millis(sf.min(cols.SESSION_START))).cast("double").alias(cols.START_HOUR),
    ).where(sf.col("_bought") == 0).drop("_bought")


def session_totals(marked: DataFrame) -> DataFrame:
    """Per session, over all of its events: label (a transaction after the prediction point)
    and the totals later sessions may read."""
    from pyspark.sql import functions as sf

    def count_of(kind: str) -> Any:
        return sf.sum(sf.when(sf.col(cols.EVENT) == kind, 1).otherwise(0)).cast("long")

    later_buy = (sf.col(cols.EVENT) == cols.TRANSACTION) & (sf.col(EVENT_RANK) > sf.col(CUT))
    return marked.groupBy(cols.VISITORID, cols.SESSION).agg(
        sf.max(later_buy.cast("int")).alias(cols.LABEL),
        count_of(cols.TRANSACTION).alias("_txn"),
        count_of(cols.ADDTOCART).alias("_cart"),
        sf.count(sf.lit(1)).alias("_events"),
        sf.max(cols.TIMESTAMP).alias("_end"),
    )


def history_features(totals: DataFrame) -> DataFrame:
    """Per session: sums over the visitor's strictly earlier sessions."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    order = Window.partitionBy(cols.VISITORID).orderBy(cols.SESSION)
    earlier = order.rowsBetween(Window.unboundedPreceding, -1)
    prev_end = sf.lag("_end").over(order)
    return totals.select(
        cols.VISITORID, cols.SESSION, cols.LABEL, "_end",
        sf.count(sf.lit(1)).over(earlier).cast("double").alias(cols.PREV_SESSIONS),
        _earlier_sum("_txn", earlier).alias(cols.PREV_TRANSACTIONS),
        _earlier_sum("_cart", earlier).alias(cols.PREV_ADDTOCARTS),
        _earlier_sum("_events", earlier).alias(cols.PREV_EVENTS),
        prev_end.alias("_prev_end"),
    )


def _earlier_sum(column: str, earlier: Any) -> Any:
    from pyspark.sql import functions as sf

    return sf.coalesce(sf.sum(column).over(earlier), sf.lit(0)).cast("double")


def session_rows(sessions: DataFrame, seed: int = 42) -> DataFrame:
    """Sessionised events → one leak-free feature row per session (+ label, session_start)."""
    from pyspark.sql import functions as sf

    marked = mark_prediction_point(sessions, seed)
    current = current_session_features(marked)
    history = history_features(session_totals(marked))
    joined = current.join(history, [cols.VISITORID, cols.SESSION])
    gap_days = (sf.col(cols.SESSION_START) - sf.col("_prev_end")) / float(DAY_MS)
    return joined.select(
        cols.VISITORID, cols.SESSION, cols.SESSION_START, cols.LABEL,
        *[sf.col(c).cast("double").alias(c) for c in SESSION_FEATURES if c != cols.DAYS_SINCE_PREV],
        sf.coalesce(gap_days, sf.lit(NO_PREVIOUS)).alias(cols.DAYS_SINCE_PREV),
    )
