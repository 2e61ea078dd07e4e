"""Leak-free session rows for the transaction predictor (Spark).

One row per (visitor, session). The label is "the session contains a transaction". Session
features read only the session's events strictly before its first transaction (the whole
session when it has none); history features read only the visitor's earlier sessions.
Sessions whose very first event is a transaction have nothing to predict from and are dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shopstream import contracts as cols
from pipelines.data.features import DAY_MS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

FIRST_TRANSACTION = "first_transaction_ts"
DURATION_S = "duration_s"
START_HOUR = "start_hour"
PREV_SESSIONS = "prev_sessions"
PREV_TRANSACTIONS = "prev_transactions"
PREV_ADDTOCARTS = "prev_addtocarts"
PREV_EVENTS = "prev_events"
DAYS_SINCE_PREV = "days_since_prev_session"
NO_PREVIOUS = -1.0

SESSION_FEATURES = (
    cols.NUM_VIEWS, cols.NUM_ADDTOCART, cols.DISTINCT_ITEMS_INTERACTED, DURATION_S, START_HOUR,
    PREV_SESSIONS, PREV_TRANSACTIONS, PREV_ADDTOCARTS, PREV_EVENTS, DAYS_SINCE_PREV,
)


def mark_first_transaction(sessions: DataFrame) -> DataFrame:
    """Adds first_transaction_ts: the session's first transaction time (null when none)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    per_session = Window.partitionBy(cols.VISITORID, cols.SESSION)
    is_buy = sf.col(cols.EVENT) == cols.TRANSACTION
    first = sf.min(sf.when(is_buy, sf.col(cols.TIMESTAMP))).over(per_session)
    return sessions.withColumn(FIRST_TRANSACTION, first)


def before_first_transaction(marked: DataFrame) -> DataFrame:
    """The events a session's features may read: strictly before its first transaction."""
    from pyspark.sql import functions as sf

    first = sf.col(FIRST_TRANSACTION)
    return marked.where(first.isNull() | (sf.col(cols.TIMESTAMP) < first))


def current_session_features(marked: DataFrame) -> DataFrame:
    """Per session, from the pre-transaction events only."""
    from pyspark.sql import functions as sf

    def count_of(kind: str) -> Any:
        return sf.sum(sf.when(sf.col(cols.EVENT) == kind, 1).otherwise(0)).cast("long")

    return before_first_transaction(marked).groupBy(cols.VISITORID, cols.SESSION).agg(
        sf.min(cols.SESSION_START).alias(cols.SESSION_START),
        count_of(cols.VIEW).alias(cols.NUM_VIEWS),
        count_of(cols.ADDTOCART).alias(cols.NUM_ADDTOCART),
        sf.countDistinct(cols.ITEMID).cast("long").alias(cols.DISTINCT_ITEMS_INTERACTED),
        ((sf.max(cols.TIMESTAMP) - sf.min(cols.SESSION_START)) / 1000.0).alias(DURATION_S),
        sf.hour(sf.timestamp_millis(sf.min(cols.SESSION_START))).cast("double").alias(START_HOUR),
    )


def session_totals(marked: DataFrame) -> DataFrame:
    """Per session, over all of its events: label and the totals later sessions may read."""
    from pyspark.sql import functions as sf

    def count_of(kind: str) -> Any:
        return sf.sum(sf.when(sf.col(cols.EVENT) == kind, 1).otherwise(0)).cast("long")

    return marked.groupBy(cols.VISITORID, cols.SESSION).agg(
        sf.max(sf.col(FIRST_TRANSACTION).isNotNull().cast("int")).alias(cols.LABEL),
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
        sf.count(sf.lit(1)).over(earlier).cast("double").alias(PREV_SESSIONS),
        _earlier_sum("_txn", earlier).alias(PREV_TRANSACTIONS),
        _earlier_sum("_cart", earlier).alias(PREV_ADDTOCARTS),
        _earlier_sum("_events", earlier).alias(PREV_EVENTS),
        prev_end.alias("_prev_end"),
    )


def _earlier_sum(column: str, earlier: Any) -> Any:
    from pyspark.sql import functions as sf

    return sf.coalesce(sf.sum(column).over(earlier), sf.lit(0)).cast("double")


def session_rows(sessions: DataFrame) -> DataFrame:
    """Sessionised events → one leak-free feature row per session (+ label, session_start)."""
    from pyspark.sql import functions as sf

    marked = mark_first_transaction(sessions)
    current = current_session_features(marked)
    history = history_features(session_totals(marked))
    joined = current.join(history, [cols.VISITORID, cols.SESSION])
    gap_days = (sf.col(cols.SESSION_START) - sf.col("_prev_end")) / float(DAY_MS)
    return joined.select(
        cols.VISITORID, cols.SESSION, cols.SESSION_START, cols.LABEL,
        *[sf.col(c).cast("double").alias(c) for c in SESSION_FEATURES if c != DAYS_SINCE_PREV],
        sf.coalesce(gap_days, sf.lit(NO_PREVIOUS)).alias(DAYS_SINCE_PREV),
    )
