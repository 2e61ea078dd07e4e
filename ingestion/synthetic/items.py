"""The item catalogue (items in categories, popularity inside each) and which items get viewed.

Learnable structure lives here: each visitor prefers a few categories, a session browses one
category, and consecutive views walk between neighbouring items of that category (a co-viewed
neighbourhood), repeat an item, or jump to another popular item of the same category. A
returning visitor often starts where an earlier session started.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.synthetic.arrays import BoolArray, IntArray, last_true_index, reflect
from ingestion.synthetic.params import DAY0_MS, DAY_MS, ITEM_ID_SPACE, N_DAYS, GeneratorParams
from ingestion.synthetic.sessions import Sessions


@dataclass
class Catalogue:
    category_weight: np.ndarray  # share of sessions that browse each category
    category_size: IntArray
    category_offset: IntArray  # items of category c are [offset[c], offset[c] + size[c])
    item_ids: IntArray  # catalogue index -> public itemid (successors after the originals)
    successor: IntArray  # catalogue index of the item that replaces it, or -1
    replaced_day: IntArray  # day (since DAY0) from which the successor is shown instead

    @property
    def n_categories(self) -> int:
        return len(self.category_size)


def build_catalogue(rng: np.random.Generator, n_events: int, params: GeneratorParams) -> Catalogue:
    n_items = max(200, round(params.catalogue_per_event * n_events))
    n_cat = int(np.clip(n_items // params.items_per_category, 8, 2000))
    weight = rng.pareto(params.category_pareto, size=n_cat) + 1.0
    weight /= weight.sum()
    raw = weight**0.7 * np.exp(0.5 * rng.standard_normal(n_cat))
    size = np.maximum((raw / raw.sum() * n_items).astype(np.int64), 3)
    offset = np.cumsum(size) - size
    n = int(size.sum())
    # The catalogue grows: some items get a successor (a new model, a new listing) on a day of
    # the period, after which sessions see the successor in the item's place.
    replaced = rng.random(n) < params.p_item_replaced
    successor = np.full(n, -1, dtype=np.int64)
    successor[replaced] = n + np.arange(int(replaced.sum()), dtype=np.int64)
    replaced_day = np.where(replaced, rng.integers(1, N_DAYS, size=n), N_DAYS)
    total = n + int(replaced.sum())
    item_ids = rng.choice(max(ITEM_ID_SPACE, total), size=total, replace=False)
    return Catalogue(
        category_weight=weight,
        category_size=size,
        category_offset=offset,
        item_ids=item_ids.astype(np.int64),
        successor=successor,
        replaced_day=replaced_day.astype(np.int64),
    )


def _popular_rank(
    rng: np.random.Generator, sizes: IntArray, gamma: float, head: float = 0.0
) -> IntArray:
    """A rank inside a category, heavily skewed towards the most popular items (rank 0).

    The law rank = size * u ** gamma is shifted by ``head`` ranks: draws that land before rank 0
    spread evenly over the first ``head`` items, so no single item is as hot as the pure law says.
    """
    value = (sizes + head) * rng.random(len(sizes)) ** gamma - head
    spread = rng.random(len(sizes)) * np.minimum(head, sizes)
    value = np.where(value < 0, spread, value)
    return np.minimum(value.astype(np.int64), sizes - 1)


def session_categories(
    rng: np.random.Generator,
    sessions: Sessions,
    n_visitors: int,
    catalogue: Catalogue,
    params: GeneratorParams,
    broad: BoolArray,
) -> IntArray:
    """The category each session browses: mostly one of its visitor's 1-3 favourite categories
    (less often for a broad session)."""
    prefs = rng.choice(catalogue.n_categories, size=(n_visitors, 3), p=catalogue.category_weight)
    n_prefs = 1 + rng.binomial(2, 0.3, size=n_visitors)
    n = sessions.count
    slot = np.minimum(rng.geometric(0.6, size=n) - 1, n_prefs[sessions.visitor] - 1)
    preferred = prefs[sessions.visitor, slot]
    other = rng.choice(catalogue.n_categories, size=n, p=catalogue.category_weight)
    p_pref = np.where(broad, params.p_pref_category_broad, params.p_pref_category)
    return np.where(rng.random(n) < p_pref, preferred, other)


def session_anchors(
    rng: np.random.Generator,
    sessions: Sessions,
    category: IntArray,
    catalogue: Catalogue,
    params: GeneratorParams,
    broad: BoolArray,
    bot: BoolArray,
) -> tuple[IntArray, IntArray]:
    """(category, first rank) per session; revisits copy them from an earlier session (a bot-like
    visitor nearly always comes back to the same item)."""
    sizes = catalogue.category_size[category]
    rank = _popular_rank(rng, sizes, params.popularity_gamma, params.popularity_head)
    rank = np.where(broad, (rng.random(len(sizes)) * sizes).astype(np.int64), rank)
    p_revisit = np.where(bot, params.p_bot_revisit, params.p_return_revisit)
    revisit = (sessions.ordinal > 0) & (rng.random(sessions.count) < p_revisit) & ~broad
    source = last_true_index(~revisit)
    return category[source], rank[source]


def view_items(
    rng: np.random.Generator,
    sessions: Sessions,
    catalogue: Catalogue,
    n_visitors: int,
    params: GeneratorParams,
    broad: BoolArray,
    bot: BoolArray,
) -> IntArray:
    """Catalogue index of the item of every view (flattened in session order).

    Broad sessions (heavy visitors: bots, power buyers) range over the catalogue: fewer visits to
    favourite categories, items drawn evenly rather than by popularity, no return to anchors;
    bot-like sessions (short, very frequent) keep returning to the same items.
    """
    category = session_categories(rng, sessions, n_visitors, catalogue, params, broad)
    category, rank0 = session_anchors(rng, sessions, category, catalogue, params, broad, bot)
    session = sessions.view_session()
    position = sessions.view_position()
    cat = category[session]
    size = catalogue.category_size[cat]
    u = rng.random(len(session))
    first = position == 0
    p_repeat = np.where(bot[session], params.p_bot_repeat, params.p_repeat)
    jump = ~first & (u >= p_repeat) & (u < p_repeat + params.p_jump)
    walk = ~first & (u >= p_repeat + params.p_jump)
    magnitude = rng.geometric(0.55, size=len(session))
    sign = np.where(rng.random(len(session)) < 0.5, -1, 1)
    step = np.where(walk, sign * magnitude, 0).astype(np.int64)
    popular = _popular_rank(rng, size, params.popularity_gamma, params.popularity_head)
    popular = np.where(broad[session], (rng.random(len(size)) * size).astype(np.int64), popular)
    fresh = np.where(first, rank0[session], popular)
    anchor = first | jump
    cum = np.cumsum(step)
    last = last_true_index(anchor)
    value = fresh[last] + cum - cum[last]
    index = catalogue.category_offset[cat] + reflect(value, size)
    day = (sessions.start_ms[session] - DAY0_MS) // DAY_MS
    newer = day >= catalogue.replaced_day[index]
    return np.where(newer, catalogue.successor[index], index)
