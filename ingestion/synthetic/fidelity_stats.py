"""Statistics of an events table that say how much it looks like real shop data.

Every function takes the columns of events.csv as numpy arrays (timestamp ms, visitorid, event
name, itemid) through ``Events`` and returns plain floats, so the same code measures a real
sample and a generated history. Sessions are a visitor's events with no pause over 30 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

SESSION_GAP_MS = 30 * 60_000
WEEK_MS = 7 * 86_400_000
# Start of the real file's period (2015-05-03 UTC): weeks are counted from here.
PERIOD_START_MS = 1_430_622_004_384

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class Events:
    """Events sorted by (visitor, time); kind is 0 view, 1 addtocart, 2 transaction."""

    ts: IntArray
    visitor: IntArray
    kind: IntArray
    item: IntArray

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> Events:
        kinds = {"view": 0, "addtocart": 1, "transaction": 2}
        kind = df["event"].map(kinds).fillna(0).to_numpy(np.int64)
        ts = df["timestamp"].to_numpy(np.int64)
        visitor = df["visitorid"].to_numpy(np.int64)
        # Within one moment a view comes before the addtocart and the transaction.
        order = np.lexsort((kind, ts, visitor))
        return cls(ts[order], visitor[order], kind[order], df["itemid"].to_numpy(np.int64)[order])

    def __len__(self) -> int:
        return len(self.ts)

    def same_visitor(self) -> npt.NDArray[np.bool_]:
        """For each event after the first: does it belong to the previous event's visitor?"""
        return self.visitor[1:] == self.visitor[:-1]

    def session_ids(self) -> IntArray:
        new = np.r_[True, ~self.same_visitor() | (np.diff(self.ts) > SESSION_GAP_MS)]
        return np.cumsum(new) - 1


def per_visitor_counts(ev: Events) -> IntArray:
    _, counts = np.unique(ev.visitor, return_counts=True)
    return counts.astype(np.int64)


def quantile(values: npt.ArrayLike, q: float) -> float:
    arr = np.asarray(values, dtype=np.float64)
    return float(np.quantile(arr, q)) if len(arr) else float("nan")


def top_item_share(ev: Events, top: float = 0.01) -> float:
    """Share of all events that fall on the most popular 1% of the items seen."""
    _, counts = np.unique(ev.item, return_counts=True)
    head = max(1, int(len(counts) * top))
    return float(np.sort(counts)[::-1][:head].sum() / max(1, len(ev)))


def event_share(ev: Events, kind: int) -> float:
    return float((ev.kind == kind).mean()) if len(ev) else float("nan")


def gaps_s(ev: Events) -> FloatArray:
    """Seconds between consecutive events of the same visitor."""
    return (np.diff(ev.ts)[ev.same_visitor()] / 1000.0).astype(np.float64)


def session_lengths(ev: Events) -> IntArray:
    return np.bincount(ev.session_ids()).astype(np.int64)


def _buying_sessions(ev: Events) -> tuple[IntArray, IntArray, IntArray]:
    """(session of every event, first and last transaction time of each session, -1 if none)."""
    sid = ev.session_ids()
    n = int(sid[-1]) + 1 if len(sid) else 0
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, -1, dtype=np.int64)
    txn = ev.kind == 2
    np.minimum.at(first, sid[txn], ev.ts[txn])
    np.maximum.at(last, sid[txn], ev.ts[txn])
    first[last < 0] = -1
    return sid, first, last


def buy_without_cart_share(ev: Events) -> float:
    """Share of buying sessions with no addtocart at or before their first transaction."""
    sid, first, last = _buying_sessions(ev)
    buying = last >= 0
    cart = (ev.kind == 1) & (ev.ts <= first[sid]) & buying[sid]
    carted = np.zeros(len(buying), dtype=bool)
    carted[sid[cart]] = True
    n = int(buying.sum())
    return float((buying & ~carted).sum() / n) if n else float("nan")


def events_after_checkout_share(ev: Events) -> float:
    """Share of buying sessions with at least one event after their last transaction."""
    sid, _, last = _buying_sessions(ev)
    buying = last >= 0
    after = buying[sid] & (ev.ts > last[sid])
    continued = np.zeros(len(buying), dtype=bool)
    continued[sid[after]] = True
    n = int(buying.sum())
    return float((buying & continued).sum() / n) if n else float("nan")


def cart_to_buy_rate(ev: Events) -> float:
    """Share of carted (visitor, item) pairs that the visitor bought at some point."""
    stride = int(ev.item.max()) + 1 if len(ev) else 1
    key = ev.visitor * stride + ev.item
    carted = np.unique(key[ev.kind == 1])
    bought = np.unique(key[ev.kind == 2])
    return float(np.isin(carted, bought).mean()) if len(carted) else float("nan")


def transactions_per_addtocart(ev: Events) -> float:
    carts = int((ev.kind == 1).sum())
    return float((ev.kind == 2).sum() / carts) if carts else float("nan")


def new_items_share(ev: Events, from_week: int = 10) -> float:
    """Mean over weeks >= from_week of the share of a week's distinct items never seen before.

    Counted on the sample itself, so a static catalogue and a growing one differ only through
    the sample: compare like with like (the same sample design on both sides).
    """
    week = (ev.ts - PERIOD_START_MS) // WEEK_MS
    frame = pd.DataFrame({"week": week, "item": ev.item}).drop_duplicates()
    first = frame.groupby("item").week.transform("min")
    per_week = frame.assign(new=frame.week.eq(first)).groupby("week").new.mean()
    # The real period's last week is partial (ends 2015-09-18): leave it out.
    late = per_week[(per_week.index >= from_week) & (per_week.index < 19)]
    return float(late.mean()) if len(late) else float("nan")


def share_between(values: FloatArray, low: float, high: float) -> float:
    return float(((values > low) & (values <= high)).mean()) if len(values) else float("nan")
