"""The purchase funnel: addtocart after a view of the item, transaction after its addtocart.

Propensity grows with the session's length, with how many sessions the visitor already had and
with the visitor's latent engagement, so returning, engaged visitors buy far more often. As in
real shop data, some buying sessions have no addtocart (bought straight from the item page) and
many go on browsing after the checkout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.synthetic.arrays import IntArray, segment_starts, sigmoid
from ingestion.synthetic.params import GeneratorParams
from ingestion.synthetic.sessions import Sessions


@dataclass
class FunnelEvents:
    """Addtocart and transaction events (flat arrays, one row per event)."""

    cart_session: IntArray
    cart_item: IntArray
    cart_ts: IntArray
    txn_session: IntArray
    txn_item: IntArray
    txn_ts: IntArray
    txn_id: IntArray
    after_session: IntArray  # views after the checkout
    after_item: IntArray
    after_ts: IntArray


def _capped_ordinal(sessions: Sessions, params: GeneratorParams) -> IntArray:
    return np.minimum(sessions.ordinal, params.max_ordinal_effect)


def _views_after(
    rng: np.random.Generator,
    sessions: Sessions,
    items: IntArray,
    buying: IntArray,
    checkout: IntArray,
    params: GeneratorParams,
) -> tuple[IntArray, IntArray, IntArray]:
    """Views after the checkout in some buying sessions: items the session viewed, re-viewed."""
    going_on = buying[rng.random(len(buying)) < params.p_browse_after]
    n_after = rng.geometric(1.0 / params.mean_views_after, size=len(going_on)).astype(np.int64)
    sess = np.repeat(going_on, n_after)
    starts = segment_starts(sessions.n_views)
    pick = starts[sess] + (rng.random(len(sess)) * sessions.n_views[sess]).astype(np.int64)
    gaps = np.exp(np.log(params.gap_median_s) + params.gap_sigma * rng.standard_normal(len(sess)))
    gaps_ms = (1000 * np.minimum(gaps, params.max_gap_s)).astype(np.int64) + 1
    cum = np.cumsum(gaps_ms)
    first = segment_starts(n_after)
    offset = cum - np.repeat(cum[first] - gaps_ms[first], n_after)
    return sess, items[pick], checkout[sess] + offset


def _cart_counts(
    rng: np.random.Generator, sessions: Sessions, engagement: np.ndarray, params: GeneratorParams
) -> IntArray:
    """How many items each session adds to the cart (0 for most)."""
    logit = (
        params.cart_bias
        + params.cart_per_log_views * np.log(sessions.n_views)
        + params.cart_per_log_session * np.log1p(_capped_ordinal(sessions, params))
        + params.cart_per_engagement * engagement[sessions.visitor]
    )
    carts = rng.random(sessions.count) < sigmoid(logit)
    extra = rng.geometric(1.0 - params.p_cart_extra_item, size=sessions.count) - 1
    return np.where(carts, np.minimum(1 + extra, sessions.n_views), 0).astype(np.int64)


def _choose_carts(
    rng: np.random.Generator,
    sessions: Sessions,
    n_cart: IntArray,
    items: IntArray,
    view_ts: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Pick distinct viewed items to add; returns (session, item, view ts, rank in session)."""
    session = sessions.view_session()
    candidate = np.flatnonzero(n_cart[session] > 0)
    order = candidate[np.lexsort((rng.random(len(candidate)), session[candidate]))]
    sess = session[order]
    first = np.r_[True, sess[1:] != sess[:-1]] if len(sess) else np.ones(0, bool)
    idx = np.arange(len(sess))
    rank = idx - np.maximum.accumulate(np.where(first, idx, 0)) if len(sess) else idx
    chosen = order[rank < n_cart[sess]]
    # The same item viewed twice in a session is added once (its first chosen view).
    key = session[chosen] * (int(items.max()) + 1 if len(items) else 1) + items[chosen]
    _, unique_pos = np.unique(key, return_index=True)
    chosen = np.sort(chosen[unique_pos])
    sess = session[chosen]
    first = np.r_[True, sess[1:] != sess[:-1]] if len(sess) else np.ones(0, bool)
    idx = np.arange(len(sess))
    rank = idx - np.maximum.accumulate(np.where(first, idx, 0)) if len(sess) else idx
    return sess, items[chosen], view_ts[chosen], rank


def build_funnel(
    rng: np.random.Generator,
    sessions: Sessions,
    engagement: np.ndarray,
    items: IntArray,
    view_ts: IntArray,
    params: GeneratorParams,
) -> FunnelEvents:
    n_cart = _cart_counts(rng, sessions, engagement, params)
    sess, item, seen_ts, rank = _choose_carts(rng, sessions, n_cart, items, view_ts)
    delay_s = np.minimum(np.exp(3.4 + 0.8 * rng.standard_normal(len(sess))), 170.0)
    cart_ts = seen_ts + (1000 * delay_s).astype(np.int64) + 1
    logit = (
        params.buy_bias
        + params.buy_per_log_session * np.log1p(_capped_ordinal(sessions, params))
        + params.buy_per_engagement * engagement[sessions.visitor]
    )
    buys = rng.random(sessions.count) < sigmoid(logit)
    bought = buys[sess] & ((rank == 0) | (rng.random(len(sess)) < params.p_buy_extra_item))
    # Checkout happens after the session's last view and last addtocart.
    last_view = view_ts[segment_starts(sessions.n_views) + sessions.n_views - 1]
    last_event = last_view.copy()
    np.maximum.at(last_event, sess, cart_ts)
    checkout = last_event + (1000 * rng.uniform(20.0, 600.0, size=sessions.count)).astype(np.int64)
    buying = np.unique(sess[bought])
    txn_number = np.full(sessions.count, -1, dtype=np.int64)
    txn_number[buying] = rng.permutation(len(buying))
    t_sess = sess[bought]
    # Some buyers skip the cart: their session keeps its views and the purchase, not the carts.
    direct = np.zeros(sessions.count, dtype=bool)
    direct[buying] = rng.random(len(buying)) < params.p_buy_without_cart
    keep = ~direct[sess]
    a_sess, a_item, a_ts = _views_after(rng, sessions, items, buying, checkout, params)
    return FunnelEvents(
        cart_session=sess[keep],
        cart_item=item[keep],
        cart_ts=cart_ts[keep],
        txn_session=t_sess,
        txn_item=item[bought],
        txn_ts=checkout[t_sess],
        txn_id=txn_number[t_sess],
        after_session=a_sess,
        after_item=a_item,
        after_ts=a_ts,
    )
