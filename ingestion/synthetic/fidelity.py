"""Fidelity table: a generated history set beside a real sample, statistic by statistic.

A statistic depends on how a sample was drawn, so the generated history is sampled the same
way as the real file before anything is measured (``DESIGNS``):

- ``rows``: independent random rows (events_random_50k.csv): the same number of random rows of
  the generated history, drawn ``ROW_DRAWS`` times (the statistics are averaged).
- ``active``: whole histories of the visitors picked by the rule that built
  events_active_visitors.csv (ThanSitt/Ecommerce_recommend_system, scripts/make_fixture.py):
  reading the file in its order, the first 150 visitors with a transaction and the first 600
  visitors with visitorid % 7 == 0 not already picked as buyers. The real file starts at
  2015-06-02 05:02 UTC and runs on in time, so the generated history is read in time order from
  that moment (wrapping round to the start); the statistics are averaged over ``ACTIVE_STARTS``
  such moments a week apart.
- ``visitors``: whole histories of random visitors, as many as the real sample holds.

Each row has a tolerance: ``abs`` (|gen - real| <= tol), ``rel`` (<= tol * |real|) or ``factor``
(gen / real within [1/tol, tol], for quantiles of heavy-tailed counts and times). One selection of
~750 whole histories is a noisy draw (whether one heavy visitor is in it moves the top-1% item
share by half), and the real sample is one such draw: for the whole-history designs a row also
passes when |gen - real| is within two standard deviations of the statistic across the
generated selections (shown as 2sd in the table), up to twice the stated tolerance; factor rows
(quantiles) keep their factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from ingestion.synthetic import fidelity_stats as st

# First row of the real events.csv (2015-06-02 05:02:12 UTC): where its file order starts.
FILE_START_MS = 1_433_221_332_117
ACTIVE_BUYERS, ACTIVE_BROWSERS, ACTIVE_MODULUS = 150, 600, 7
ROW_DRAWS = 3
ACTIVE_STARTS = 8
WEEK_MS = 7 * 86_400_000
BUSIEST_PER = 50_000
DESIGNS = ("rows", "active", "visitors")

Stat = Callable[[st.Events], float]


@dataclass(frozen=True)
class Spec:
    name: str
    designs: tuple[str, ...]
    stat: Stat
    kind: str  # abs, rel or factor
    tol: float


@dataclass(frozen=True)
class Row:
    statistic: str
    generated: float
    real: float
    tolerance: str
    passed: bool
    spread: float = 0.0  # two standard deviations across generated selections (0 for rows)


@dataclass(frozen=True)
class Comparison:
    real_path: str
    design: str
    real_events: int
    generated_events: int
    rows: list[Row]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "real": self.real_path,
            "design": self.design,
            "real_events": self.real_events,
            "generated_events": self.generated_events,
            "passed": self.passed,
            "rows": [asdict(r) for r in self.rows],
        }


def _epv(q: float) -> Stat:
    return lambda ev: st.quantile(st.per_visitor_counts(ev), q)


def _gap(q: float) -> Stat:
    return lambda ev: st.quantile(st.gaps_s(ev), q)


def _session_len(q: float) -> Stat:
    return lambda ev: st.quantile(st.session_lengths(ev), q)


def _busiest(ev: st.Events) -> float:
    return float(st.per_visitor_counts(ev).max() * BUSIEST_PER / max(1, len(ev)))


def _one_event(ev: st.Events) -> float:
    return float((st.per_visitor_counts(ev) == 1).mean())


def _sessions_per_visitor_p90(ev: st.Events) -> float:
    sid = ev.session_ids()
    first = np.r_[True, sid[1:] != sid[:-1]]
    _, per_visitor = np.unique(ev.visitor[first], return_counts=True)
    return st.quantile(per_visitor, 0.9)


R, H = ("rows",), ("active", "visitors")
SPECS: tuple[Spec, ...] = (
    Spec("events per visitor p50", H, _epv(0.5), "factor", 2.0),
    Spec("events per visitor p90", H, _epv(0.9), "factor", 2.0),
    Spec("events per visitor p99", R + H, _epv(0.99), "factor", 2.0),
    Spec("events per visitor p99.9", R, _epv(0.999), "factor", 2.0),
    Spec("one-event visitors", R, _one_event, "abs", 0.015),
    Spec("one-event visitors", H, _one_event, "abs", 0.08),
    Spec("busiest visitor per 50k events", R, _busiest, "rel", 0.4),
    Spec("top-1% item share", R + H, st.top_item_share, "rel", 0.25),
    Spec("view share", R + H, lambda ev: st.event_share(ev, 0), "rel", 0.03),
    Spec("addtocart share", R + H, lambda ev: st.event_share(ev, 1), "rel", 0.3),
    Spec("transaction share", R + H, lambda ev: st.event_share(ev, 2), "rel", 0.35),
    Spec("transactions per addtocart", R, st.transactions_per_addtocart, "rel", 0.3),
    Spec("cart->buy (carted items bought)", H, st.cart_to_buy_rate, "abs", 0.12),
    Spec("buy-without-cart (buying sessions)", H, st.buy_without_cart_share, "abs", 0.07),
    Spec("events after checkout (buying sessions)", H, st.events_after_checkout_share, "abs", 0.12),
    Spec("session length p50", H, _session_len(0.5), "factor", 1.5),
    Spec("session length p90", H, _session_len(0.9), "factor", 2.0),
    Spec("session length p99", H, _session_len(0.99), "factor", 2.0),
    Spec("sessions per visitor p90", H, _sessions_per_visitor_p90, "factor", 2.0),
    Spec("gap p25 (s)", H, _gap(0.25), "factor", 2.0),
    Spec("gap p50 (s)", R + H, _gap(0.5), "factor", 2.0),
    Spec("gap p75 (s)", H, _gap(0.75), "factor", 2.0),
    Spec("gap p90 (s)", R + H, _gap(0.9), "factor", 2.0),
    Spec("gaps of 20-40 min", H, lambda ev: st.share_between(st.gaps_s(ev), 1200, 2400),
         "abs", 0.015),
    Spec("new items per week (share, weeks 10-18)", R, st.new_items_share, "abs", 0.05),
)


def guess_design(real: pd.DataFrame) -> str:
    """rows for independent random rows, active for buyer-rich whole histories, else visitors."""
    per_visitor = len(real) / max(1, real["visitorid"].nunique())
    if per_visitor < 1.5:
        return "rows"
    return "active" if (real["event"] == "transaction").mean() > 0.02 else "visitors"


def active_rule(generated: pd.DataFrame, start_ms: int = FILE_START_MS) -> pd.DataFrame:
    """Whole histories of the visitors make_fixture.py would pick, reading from start_ms."""
    ts = generated["timestamp"].to_numpy(np.int64)
    visitor = generated["visitorid"].to_numpy(np.int64)
    is_txn = (generated["event"] == "transaction").to_numpy()
    candidate = np.flatnonzero(is_txn | (visitor % ACTIVE_MODULUS == 0))
    rotated = np.where(ts[candidate] >= start_ms, 0, 1)
    candidate = candidate[np.lexsort((ts[candidate], rotated))]
    buyers: set[int] = set()
    browsers: set[int] = set()
    for v, txn in zip(visitor[candidate].tolist(), is_txn[candidate].tolist(), strict=True):
        if txn:
            if len(buyers) < ACTIVE_BUYERS:
                buyers.add(v)
        elif len(browsers) < ACTIVE_BROWSERS and v not in buyers and v % ACTIVE_MODULUS == 0:
            browsers.add(v)
        if len(buyers) >= ACTIVE_BUYERS and len(browsers) >= ACTIVE_BROWSERS:
            break
    return generated[generated["visitorid"].isin(buyers | browsers)]


def _samples(generated: pd.DataFrame, real: pd.DataFrame, design: str) -> list[pd.DataFrame]:
    rng = np.random.default_rng(0)
    if design == "rows":
        n = min(len(real), len(generated))
        picks = [rng.choice(len(generated), size=n, replace=False) for _ in range(ROW_DRAWS)]
        return [generated.iloc[np.sort(p)] for p in picks]
    if design == "active":
        return [active_rule(generated, FILE_START_MS + k * WEEK_MS) for k in range(ACTIVE_STARTS)]
    ids = generated["visitorid"].unique()
    chosen = rng.choice(ids, size=min(len(ids), real["visitorid"].nunique()), replace=False)
    return [generated[generated["visitorid"].isin(chosen)]]


def _passes(spec: Spec, gen: float, real: float, spread: float) -> bool:
    """Within the row's tolerance; an abs or rel tolerance widens to the selections' 2sd, at most
    to twice itself (a statistic that noisy cannot pass on noise alone)."""
    if not (np.isfinite(gen) and np.isfinite(real)):
        return False
    if spec.kind in ("abs", "rel"):
        width = spec.tol if spec.kind == "abs" else spec.tol * abs(real)
        return abs(gen - real) <= max(width, min(spread, 2 * width))
    if real <= 0 or gen <= 0:
        return gen == real
    return 1.0 / spec.tol <= gen / real <= spec.tol


def _tolerance_text(spec: Spec, spread: float) -> str:
    if spec.kind == "abs":
        text = f"±{spec.tol:g}"
    elif spec.kind == "rel":
        text = f"±{spec.tol:.0%}"
    else:
        text = f"×÷{spec.tol:g}"
    return f"{text} or 2sd {spread:.3g}" if spread > 0 and spec.kind != "factor" else text


def compare(
    real: pd.DataFrame, generated: pd.DataFrame, design: str | None = None, real_path: str = ""
) -> Comparison:
    """Measure every statistic that applies to the design on both sides."""
    chosen = design or guess_design(real)
    if chosen not in DESIGNS:
        msg = f"unknown sample design {chosen!r}; use one of {', '.join(DESIGNS)}"
        raise ValueError(msg)
    real_ev = st.Events.from_frame(real)
    gen_evs = [st.Events.from_frame(s) for s in _samples(generated, real, chosen)]
    rows = []
    for spec in SPECS:
        if chosen not in spec.designs:
            continue
        values = np.array([spec.stat(ev) for ev in gen_evs], dtype=np.float64)
        gen = float(values.mean())
        spread = 2.0 * float(values.std(ddof=1)) if chosen != "rows" and len(values) > 1 else 0.0
        value = spec.stat(real_ev)
        passed = _passes(spec, gen, value, spread)
        rows.append(Row(spec.name, gen, value, _tolerance_text(spec, spread), passed, spread))
    return Comparison(real_path, chosen, len(real), len(generated), rows)


def read_events(path: str) -> pd.DataFrame:
    """A real events.csv sample (transactionid may read as 14418.0; it is not used here)."""
    return pd.read_csv(path, usecols=["timestamp", "visitorid", "event", "itemid"])
