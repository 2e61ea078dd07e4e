"""The generated data carries structure a model can learn (otherwise every model is moot)."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest

from ingestion.synthetic import generate_events

pytestmark = pytest.mark.unit

SESSION_GAP_MS = 30 * 60_000
K = 10


@pytest.fixture(scope="module")
def views() -> pd.DataFrame:
    df = generate_events(120_000, 5).to_pandas()
    d = df[df.event.eq("view")].sort_values(["visitorid", "timestamp"], kind="stable")
    new = d.visitorid.ne(d.visitorid.shift()) | d.timestamp.diff().gt(SESSION_GAP_MS)
    return d.assign(session=new.cumsum()).reset_index(drop=True)


def _pairs(d: pd.DataFrame) -> pd.DataFrame:
    """(item, next item) of consecutive views in the same session, skipping exact repeats."""
    nxt = d.groupby("session").itemid.shift(-1)
    pairs = pd.DataFrame({"item": d.itemid, "next": nxt}).dropna().astype("int64")
    return pairs[pairs["item"] != pairs["next"]]


def test_next_item_in_a_session_is_learnable(views: pd.DataFrame) -> None:
    """An item→next-item transition table from some visitors predicts other visitors' next item
    far better than global popularity does."""
    train = views[views.visitorid % 2 == 0]
    test = _pairs(views[views.visitorid % 2 == 1])
    transitions: dict[int, Counter[int]] = defaultdict(Counter)
    for a, b in _pairs(train).itertuples(index=False):
        transitions[a][b] += 1
        transitions[b][a] += 1
    popular = [i for i, _ in Counter(train.itemid).most_common(K)]
    pop_hits = np.isin(test["next"], popular).mean()
    learned = np.mean(
        [
            b in {i for i, _ in transitions[a].most_common(K)}
            for a, b in test.itertuples(index=False)
        ]
    )
    assert learned > 5 * pop_hits
    assert learned > 0.1


def test_a_visitors_later_items_follow_from_earlier_ones(views: pd.DataFrame) -> None:
    """Temporal split per visitor: items co-viewed with a visitor's early items (by other
    visitors) hit their later items at least twice as often as the most popular items."""
    cut = views.timestamp.quantile(0.7)
    early, late = views[views.timestamp < cut], views[views.timestamp >= cut]
    both = np.intersect1d(early.visitorid.unique(), late.visitorid.unique())
    assert len(both) > 100
    co: dict[int, Counter[int]] = defaultdict(Counter)
    for _, items in early.groupby("visitorid").itemid:
        uniq = list(dict.fromkeys(items))[:30]
        for a in uniq:
            co[a].update(b for b in uniq if b != a)
    popular = {i for i, _ in Counter(early.itemid).most_common(K)}
    early_items = early[early.visitorid.isin(both)].groupby("visitorid").itemid.apply(set)
    late_items = late[late.visitorid.isin(both)].groupby("visitorid").itemid.apply(set)
    pop_hr = learned_hr = 0
    for visitor in both:
        seen = early_items[visitor]
        score: Counter[int] = Counter()
        for a in seen:
            score.update(co[a])
        score.update({a: 1_000 for a in seen})  # re-viewing own items counts too
        recs = {i for i, _ in score.most_common(K)}
        learned_hr += bool(recs & late_items[visitor])
        pop_hr += bool(popular & late_items[visitor])
    assert learned_hr > 2 * pop_hr


def test_engaged_sessions_predict_purchase() -> None:
    """Pre-purchase session features separate buying sessions: sessions with an addtocart and a
    returning visitor buy at many times the base rate."""
    df = generate_events(120_000, 9).to_pandas().sort_values(["visitorid", "timestamp"])
    new = df.visitorid.ne(df.visitorid.shift()) | df.timestamp.diff().gt(SESSION_GAP_MS)
    df = df.assign(
        session=new.cumsum(), cart=df.event.eq("addtocart"), txn=df.event.eq("transaction")
    )
    s = df.groupby("session").agg(
        visitor=("visitorid", "first"), carts=("cart", "sum"), bought=("txn", "any")
    )
    s["earlier_sessions"] = s.groupby("visitor").cumcount()
    base = s.bought.mean()
    engaged = s[(s.carts > 0) & (s.earlier_sessions > 0)].bought.mean()
    assert base > 0
    assert engaged > 10 * base
