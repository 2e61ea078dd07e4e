"""Assemble visitors, sessions, views and the funnel into one events table of exactly N rows."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa

from ingestion.synthetic.arrays import IntArray
from ingestion.synthetic.funnel import FunnelEvents, build_funnel
from ingestion.synthetic.items import build_catalogue, view_items
from ingestion.synthetic.params import (
    ADDTOCART,
    EVENT_NAMES,
    PUBLISHED,
    TRANSACTION,
    TS_MAX_MS,
    VIEW,
    GeneratorParams,
)
from ingestion.synthetic.sessions import build_sessions, build_visitors

logger = logging.getLogger(__name__)

# Events per visitor of the real file, with a margin so one pass nearly always suffices.
_EVENTS_PER_VISITOR = PUBLISHED["events"] / PUBLISHED["visitors"]


def _flat_events(
    rng: np.random.Generator, n_events: int, n_visitors: int, params: GeneratorParams
) -> dict[str, IntArray]:
    """All events of n_visitors visitors, ordered by (visitor, session, time, event type)."""
    visitors = build_visitors(rng, n_visitors, n_events, params)
    sessions = build_sessions(rng, visitors, params)
    catalogue = build_catalogue(rng, n_events, params)
    heavy_views = visitors.mean_views[sessions.visitor]
    broad = heavy_views >= params.bot_max_views
    bot = (heavy_views > 0) & ~broad
    items = view_items(rng, sessions, catalogue, n_visitors, params, broad, bot)
    view_session = sessions.view_session()
    view_ts = sessions.start_ms[view_session] + sessions.view_offset_ms
    funnel: FunnelEvents = build_funnel(rng, sessions, visitors.engagement, items, view_ts, params)
    session = np.concatenate(
        [view_session, funnel.after_session, funnel.cart_session, funnel.txn_session]
    )
    kind = np.concatenate(
        [
            np.full(len(view_session) + len(funnel.after_session), VIEW),
            np.full(len(funnel.cart_session), ADDTOCART),
            np.full(len(funnel.txn_session), TRANSACTION),
        ]
    ).astype(np.int8)
    ts = np.concatenate([view_ts, funnel.after_ts, funnel.cart_ts, funnel.txn_ts])
    item = np.concatenate([items, funnel.after_item, funnel.cart_item, funnel.txn_item])
    txn = np.full(len(ts), -1, dtype=np.int64)
    txn[len(ts) - len(funnel.txn_id) :] = funnel.txn_id
    # Browsing on after a late checkout may run past the period's end: those views are dropped.
    inside = ts <= TS_MAX_MS
    session, kind, ts = session[inside], kind[inside], ts[inside]
    item, txn = item[inside], txn[inside]
    order = np.lexsort((item, kind, ts, session))
    return {
        "visitor": sessions.visitor[session[order]],
        "timestamp": ts[order],
        "kind": kind[order].astype(np.int64),
        "item": catalogue.item_ids[item[order]],
        "txn": txn[order],
    }


def _enough_events(rng_seed: int, n_events: int, params: GeneratorParams) -> dict[str, IntArray]:
    """Generate a visitor population large enough for n_events, retrying with more if short."""
    factor = 1.06
    while True:
        rng = np.random.default_rng(np.random.SeedSequence([rng_seed, round(factor * 1000)]))
        n_visitors = int(n_events / _EVENTS_PER_VISITOR * factor) + 50
        events = _flat_events(rng, n_events, n_visitors, params)
        if len(events["timestamp"]) >= n_events:
            return {name: values[:n_events] for name, values in events.items()}
        logger.debug(
            "generated %d < %d events; retrying with more visitors",
            len(events["timestamp"]),
            n_events,
        )
        factor *= 1.25


def generate_events(n_events: int, seed: int, params: GeneratorParams | None = None) -> pa.Table:
    """A synthetic Retail Rocket events table of exactly n_events rows, sorted by timestamp.

    Columns: timestamp (int64 ms UTC), visitorid (int64), event (string), itemid (int64),
    transactionid (int64, null except on transactions). Same (n_events, seed) → same table.
    """
    if n_events < 1:
        msg = f"n_events must be at least 1, got {n_events}"
        raise ValueError(msg)
    params = params or GeneratorParams()
    ev = _enough_events(seed, n_events, params)
    # Visitors left after the cut get dense public ids 0..V-1 in a seeded random order.
    kept, dense = np.unique(ev["visitor"], return_inverse=True)
    id_rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    visitor_ids = id_rng.permutation(len(kept)).astype(np.int64)[dense]
    order = np.lexsort((ev["item"], ev["kind"], visitor_ids, ev["timestamp"]))
    txn = ev["txn"][order]
    names = np.array(EVENT_NAMES, dtype=object)[ev["kind"][order]]
    return pa.table(
        {
            "timestamp": pa.array(ev["timestamp"][order], pa.int64()),
            "visitorid": pa.array(visitor_ids[order], pa.int64()),
            "event": pa.array(names, pa.string()),
            "itemid": pa.array(ev["item"][order], pa.int64()),
            "transactionid": pa.array(txn, pa.int64(), mask=txn < 0),
        }
    )
