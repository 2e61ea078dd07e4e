"""How far a run's data moved from the champion's training window (pure numpy/pandas).

The population stability index, PSI = Σ (a - e) * ln(a / e) over shares a (this run) and e
(the reference), is 0 for equal distributions; by the usual rule of thumb under 0.1 is no
real shift and above 0.25 a large one. It is computed on two distributions:

- the event mix: shares of view, addtocart, transaction;
- item popularity: shares of events on each of the reference's ``TOP_ITEMS`` most-viewed items,
  on the rest of its items, and on items the reference never saw (so a catalogue change
  shows as the last bucket).

Shares are floored at ``FLOOR`` so an empty bucket on one side stays finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from shopstream import contracts as cols

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.data.profile import DataProfile

TOP_ITEMS = 200
FLOOR = 1e-4


@dataclass(frozen=True)
class Reference:
    """The window a run's data is compared with: a registered version's training data."""

    name: str
    version: str
    profile: DataProfile


@dataclass(frozen=True)
class DataShift:
    psi_event_mix: float
    psi_item_popularity: float
    new_item_share: float  # share of this run's events on items the reference never saw

    def metrics(self) -> dict[str, float]:
        return {"data_psi_event_mix": self.psi_event_mix,
                "data_psi_item_popularity": self.psi_item_popularity,
                "data_new_item_share": self.new_item_share}

    def above(self, limit: float) -> list[str]:
        """The PSIs above `limit`, in words."""
        named = {"event-mix PSI": self.psi_event_mix,
                 "item-popularity PSI": self.psi_item_popularity}
        return [f"{name} {value:.3g} > {limit:g}" for name, value in named.items()
                if value > limit]


def psi(actual: np.ndarray, expected: np.ndarray) -> float:
    """PSI of two count (or share) vectors over the same buckets."""
    a = np.maximum(actual / max(actual.sum(), 1), FLOOR)
    e = np.maximum(expected / max(expected.sum(), 1), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def item_buckets(counts: pd.DataFrame, reference: pd.DataFrame) -> np.ndarray:
    """Events of `counts` per bucket: the reference's top items one by one, its other items,
    items it never saw."""
    top = reference.nlargest(TOP_ITEMS, "count")[cols.ITEMID].to_numpy()
    by_item = counts.set_index(cols.ITEMID)["count"]
    on_top = by_item.reindex(top, fill_value=0).to_numpy(dtype=float)
    known = by_item.index.isin(reference[cols.ITEMID].to_numpy())
    on_rest = float(by_item[known].sum()) - float(on_top.sum())
    unseen = float(by_item[~known].sum())
    return np.concatenate([on_top, [on_rest, unseen]])


def data_shift(profile: DataProfile, reference: DataProfile) -> DataShift:
    mix = np.array([profile.events.get(e, 0) for e in cols.EVENT_TYPES], dtype=float)
    ref_mix = np.array([reference.events.get(e, 0) for e in cols.EVENT_TYPES], dtype=float)
    mine = item_buckets(profile.item_counts, reference.item_counts)
    theirs = item_buckets(reference.item_counts, reference.item_counts)
    total = float(profile.item_counts["count"].sum())
    return DataShift(psi_event_mix=psi(mix, ref_mix), psi_item_popularity=psi(mine, theirs),
                     new_item_share=mine[-1] / total if total else 0.0)
