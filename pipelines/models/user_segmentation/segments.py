"""Segment names that follow from each segment's members (numpy; travels with each version).

Two views of a visitor, both served:

- the **funnel segment**, a rule every visitor falls under: one-view visitors (one event),
  browsers (views only), cart abandoners (carted, never bought), buyers (one purchase) and
  repeat buyers (two or more);
- the **cluster**: KMeans on engaged visitors (two events or more), named from what most of its
  members did (the funnel segment that holds at least half of them; browsers otherwise).
  When names repeat they are qualified by what tells the clusters apart: "with cart" /
  "without cart" when most members of one carted and most of another did not, then
  light/regular/heavy by median events. One-event visitors are never clustered: they form the
  one-view segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

ONE_VIEW = "one-view visitors"
BROWSERS = "browsers"
CART_ABANDONERS = "cart abandoners"
BUYERS = "buyers"
REPEAT_BUYERS = "repeat buyers"
FUNNEL = (ONE_VIEW, BROWSERS, CART_ABANDONERS, BUYERS, REPEAT_BUYERS)
QUALIFIERS = {2: ("light", "heavy"), 3: ("light", "regular", "heavy")}
CART_QUALIFIERS = ("without cart", "with cart")  # by whether most members carted
CARTED = "carted"  # member statistic: share of members with at least one add-to-cart
MAJORITY = 0.5


def funnel_codes(counts: np.ndarray) -> np.ndarray:
    """(n, 4) total_events, total_views, total_addtocart, total_transactions → FUNNEL index."""
    events, carts, buys = counts[:, 0], counts[:, 2], counts[:, 3]
    codes = np.full(len(counts), FUNNEL.index(BROWSERS), dtype=np.int64)
    codes[carts > 0] = FUNNEL.index(CART_ABANDONERS)
    codes[buys == 1] = FUNNEL.index(BUYERS)
    codes[buys >= 2] = FUNNEL.index(REPEAT_BUYERS)
    codes[(events <= 1) & (buys == 0)] = FUNNEL.index(ONE_VIEW)
    return codes


def member_stats(counts: np.ndarray) -> dict[str, float]:
    """What a segment's members did: shares per funnel segment, median events."""
    codes = funnel_codes(counts)
    stats = {name: float(np.mean(codes == i)) if len(codes) else 0.0
             for i, name in enumerate(FUNNEL)}
    stats[CARTED] = float(np.mean(counts[:, 2] > 0)) if len(counts) else 0.0
    stats["median_events"] = float(np.median(counts[:, 0])) if len(counts) else 0.0
    stats["members"] = float(len(counts))
    return stats


def base_name(stats: Mapping[str, float]) -> str:
    """Repeat buyers, buyers, cart abandoners when they are the majority; buyers of either
    kind together count too; browsers otherwise."""
    if stats[REPEAT_BUYERS] >= MAJORITY:
        return REPEAT_BUYERS
    if stats[BUYERS] + stats[REPEAT_BUYERS] >= MAJORITY:
        return BUYERS
    if stats[CART_ABANDONERS] >= MAJORITY:
        return CART_ABANDONERS
    if stats[ONE_VIEW] >= MAJORITY:
        return ONE_VIEW
    return BROWSERS


def segment_names(stats: Sequence[Mapping[str, float]]) -> list[str]:
    """One distinct name per cluster: names shared by several get "with cart" / "without cart"
    when that tells them apart, then light/regular/heavy (by median events) or a number."""
    bases = [base_name(s) for s in stats]
    names = list(bases)
    for base in set(bases):
        members = [i for i, b in enumerate(bases) if b == base]
        if len(members) < 2:
            continue
        cart = {i: CART_QUALIFIERS[stats[i][CARTED] >= MAJORITY] for i in members}
        split = len(set(cart.values())) > 1
        for label in set(cart.values()):
            group = sorted((i for i in members if cart[i] == label),
                           key=lambda i: (stats[i]["median_events"], i))
            sizes = (QUALIFIERS.get(len(group)) or tuple(str(n + 1) for n in range(len(group)))
                     if len(group) > 1 else ("",))
            for size, index in zip(sizes, group, strict=True):
                parts = [p for p in ((label if split else ""), size) if p]
                names[index] = f"{base} ({', '.join(parts)})"
    return names


def contradictions(name: str, stats: Mapping[str, float]) -> list[str]:
    """What in `stats` contradicts `name` (empty when the name is true of its members)."""
    base, _, qualified = name.partition(" (")
    qualifiers = qualified.rstrip(")").split(", ")
    buyers = stats[BUYERS] + stats[REPEAT_BUYERS]
    rules = {
        REPEAT_BUYERS: [(stats[REPEAT_BUYERS] >= MAJORITY, "most members bought twice or more")],
        BUYERS: [(buyers >= MAJORITY, "most members bought")],
        CART_ABANDONERS: [(stats[CART_ABANDONERS] >= MAJORITY, "most carted without buying")],
        ONE_VIEW: [(stats[ONE_VIEW] >= MAJORITY, "most have a single event")],
        BROWSERS: [(buyers < MAJORITY, "most did not buy"),
                   (stats[CART_ABANDONERS] < MAJORITY, "most did not abandon a cart"),
                   (stats[ONE_VIEW] < MAJORITY, "most have more than one event")],
    }
    checks = [*rules.get(base, []),
              *([(stats[CARTED] >= MAJORITY, "most members carted")]
                if CART_QUALIFIERS[1] in qualifiers else []),
              *([(stats[CARTED] < MAJORITY, "most members did not cart")]
                if CART_QUALIFIERS[0] in qualifiers else [])]
    return [f"{name!r} needs: {claim}" for ok, claim in checks if not ok]
