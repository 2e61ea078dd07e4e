"""Constants and tunable knobs of the synthetic Retail Rocket events generator.

The knobs were calibrated so that ``generate_events(DEFAULT_EVENTS, seed)`` matches the published
figures of the real events.csv (``PUBLISHED``) within a few percent; every count scales linearly
with ``n_events`` except the number of distinct items, which grows like a catalogue being
discovered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_EVENTS = 2_756_101
DEFAULT_SEED = 42

# Published figures of the full Retail Rocket events.csv.
PUBLISHED: dict[str, int] = {
    "events": 2_756_101,
    "visitors": 1_407_580,
    "items": 235_061,
    "views": 2_664_312,
    "addtocarts": 69_332,
    "transactions": 22_457,
    "transaction_ids": 17_672,
}

# The same figures per event: what a generated file of any size should show (items grow a little
# faster at small sizes, as a catalogue being discovered does).
PUBLISHED_RATIOS: dict[str, float] = {k: v / PUBLISHED["events"] for k, v in PUBLISHED.items()}

# Time range of the real file (ms since the epoch, UTC): 2015-05-03 .. 2015-09-18.
TS_MIN_MS = 1_430_622_004_384
TS_MAX_MS = 1_442_545_187_788
DAY_MS = 86_400_000
MINUTE_MS = 60_000
# Midnight UTC of the first day.
DAY0_MS = TS_MIN_MS - TS_MIN_MS % DAY_MS
N_DAYS = (TS_MAX_MS - DAY0_MS) // DAY_MS + 1

# Share of events per hour of day (UTC), per mille, measured on a random sample of the real
# file: quiet 06-12 UTC, busy in the (US) evening.
HOUR_PROFILE = np.array(
    [53, 49, 53, 53, 54, 43, 27, 16, 9, 7, 6, 8, 11, 19, 30, 48, 59, 64, 66, 67, 68, 68, 65, 58],
    dtype=np.float64,
)

# The largest real item id + 1; generated item ids are drawn from this range.
ITEM_ID_SPACE = 466_868

EVENT_NAMES = ("view", "addtocart", "transaction")
VIEW, ADDTOCART, TRANSACTION = 0, 1, 2

CSV_HEADER = "timestamp,visitorid,event,itemid,transactionid\n"


@dataclass(frozen=True)
class GeneratorParams:
    """Behavioural knobs. The defaults are the calibrated ones; tests may vary them."""

    # Visitors: a minority returns for several sessions; the rest come once.
    returning_share: float = 0.27
    sessions_zipf: float = 3.0
    max_sessions: int = 40
    return_window_days: float = 30.0
    # Views per session (Zipf: most sessions have one view).
    casual_views_zipf: float = 2.9
    returning_views_zipf: float = 3.0
    max_views: int = 250
    # Within a session: re-view the same item, jump to a fresh item of the category, or step to
    # a neighbouring item (co-viewed neighbourhood) of the category.
    p_repeat: float = 0.22
    p_jump: float = 0.18
    # A session browses one of the visitor's preferred categories with this probability.
    p_pref_category: float = 0.85
    p_pref_category_broad: float = 0.6
    # A returning session starts from the item the visitor's previous session started from.
    p_return_revisit: float = 0.45
    # A bot-like heavy visitor (fewer views per session than bot_max_views) mostly comes back to
    # the item it watched before; the others browse broadly.
    p_bot_revisit: float = 0.9
    p_bot_repeat: float = 0.7
    bot_max_views: float = 8.0
    # Catalogue: items per event at full size (distinct items seen comes out ~0.085 per event).
    catalogue_per_event: float = 0.08
    items_per_category: int = 320
    # Share of items that get a successor during the period (new items every week).
    p_item_replaced: float = 0.1
    # Popularity inside a category: rank = size * u ** popularity_gamma (heavy head).
    popularity_gamma: float = 3.6
    popularity_head: float = 3.0
    # Skew of how many sessions each category draws (Pareto shape; lower is more skewed).
    category_pareto: float = 3.0
    # Funnel logits: addtocart in a session, then transaction given addtocart.
    cart_bias: float = -4.5
    cart_per_log_views: float = 1.05
    cart_per_log_session: float = 0.65
    cart_per_engagement: float = 0.9
    buy_bias: float = -2.88
    buy_per_log_session: float = 1.15
    buy_per_engagement: float = 1.0
    p_cart_extra_item: float = 0.5
    p_buy_extra_item: float = 0.9
    # Time between events of a session (log-normal, seconds) and delays of the funnel.
    gap_median_s: float = 55.0
    gap_sigma: float = 1.25
    max_gap_s: float = 1_500.0
    p_pause: float = 0.1
    session_gap_min_ms: int = 10 * MINUTE_MS
    # Heavy visitors (bots, power buyers): about 40 at full size, the busiest holding ~0.3% of
    # all events (real: 146 of a random 50k rows), the next ones following a rank-size law.
    heavy_per_event: float = 120 / 2_756_101
    heavy_top_share: float = 0.003
    heavy_rank_exponent: float = 0.6
    # Funnel propensity stops growing after this many earlier sessions.
    max_ordinal_effect: int = 12
    # A buying session: bought straight from the item page (no addtocart in the session), and
    # browsing on after the checkout.
    p_buy_without_cart: float = 0.05
    p_browse_after: float = 0.45
    mean_views_after: float = 4.0
