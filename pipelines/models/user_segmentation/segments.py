"""Human names for KMeans segments, read off each centroid in original units (pure Python)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shopstream import contracts as cols

LOYAL_BUYERS = "loyal buyers"
ONE_TIME_BUYERS = "one-time buyers"
CART_ABANDONERS = "cart abandoners"
WINDOW_SHOPPERS = "window shoppers"
BOUNCERS = "one-off visitors"
QUALIFIERS = {2: ("light", "heavy"), 3: ("light", "regular", "heavy")}


def base_segment_name(centroid: Mapping[str, float]) -> str:
    """The behaviour a centroid stands for (counts are per visitor, over the history)."""
    buys = centroid[cols.TOTAL_TRANSACTIONS]
    if buys >= 1.5:
        return LOYAL_BUYERS
    if buys >= 0.5:
        return ONE_TIME_BUYERS
    if centroid[cols.TOTAL_ADDTOCART] >= 0.5:
        return CART_ABANDONERS
    if centroid[cols.TOTAL_EVENTS] >= 3.0:
        return WINDOW_SHOPPERS
    return BOUNCERS


def segment_names(centroids: Sequence[Mapping[str, float]]) -> list[str]:
    """One distinct name per centroid; a name shared by several gets light/regular/heavy (by
    total_events) or a number."""
    bases = [base_segment_name(c) for c in centroids]
    names = list(bases)
    for base in set(bases):
        members = [i for i, b in enumerate(bases) if b == base]
        if len(members) < 2:
            continue
        members.sort(key=lambda i: centroids[i][cols.TOTAL_EVENTS])
        labels = QUALIFIERS.get(len(members)) or tuple(str(n + 1) for n in range(len(members)))
        for label, index in zip(labels, members, strict=True):
            names[index] = f"{base} ({label})"
    return names
