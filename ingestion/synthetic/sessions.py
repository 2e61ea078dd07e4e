"""Visitors, their sessions and the timestamps of the views inside each session."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.synthetic.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    bounded_zipf,
    position_in_segment,
    segment_ids,
    segment_starts,
)
from ingestion.synthetic.params import (
    DAY0_MS,
    DAY_MS,
    HOUR_PROFILE,
    N_DAYS,
    TS_MAX_MS,
    TS_MIN_MS,
    GeneratorParams,
)

HOUR_MS = 3_600_000
# Larger than any in-range relative time, so per-visitor running maxima never leak across visitors.
_VISITOR_STRIDE = 1 << 40
# Addtocarts and the checkout may follow a session's last view by up to this much.
_FUNNEL_SPILL_MS = 14 * 60_000


@dataclass
class Visitors:
    """One row per visitor; heavy (bot-like or power) visitors come first."""

    returning: BoolArray
    engagement: FloatArray  # latent propensity to buy (standard normal, higher when returning)
    n_sessions: IntArray
    mean_views: FloatArray  # views per session of a heavy visitor; 0 for everyone else
    window_days: FloatArray  # days over which a visitor's sessions spread


@dataclass
class Sessions:
    """One row per session, sorted by (visitor, start time). Views are flattened alongside."""

    visitor: IntArray
    ordinal: IntArray  # 0 for a visitor's first session, 1 for the next, ...
    n_views: IntArray
    start_ms: IntArray
    view_offset_ms: IntArray  # per view: ms since its session's start (0 for the first view)

    @property
    def count(self) -> int:
        return len(self.visitor)

    def view_session(self) -> IntArray:
        return segment_ids(self.n_views)

    def view_position(self) -> IntArray:
        return position_in_segment(self.n_views)


def heavy_budgets(rng: np.random.Generator, n_events: int, params: GeneratorParams) -> IntArray:
    """Events of each heavy visitor: a rank-size law in shares of the history (busiest first)."""
    k = round(n_events * params.heavy_per_event)
    rank = np.arange(1, k + 1, dtype=np.float64)
    share = params.heavy_top_share * rank**-params.heavy_rank_exponent
    share *= np.exp(0.15 * rng.standard_normal(k))
    return np.maximum((share * n_events).astype(np.int64), 10)


def build_visitors(
    rng: np.random.Generator, n_visitors: int, n_events: int, params: GeneratorParams
) -> Visitors:
    """Heavy visitors (first), then ordinary ones: most come once, a minority returns."""
    budget = heavy_budgets(rng, n_events, params)
    k = min(len(budget), n_visitors)
    returning = rng.random(n_visitors) < params.returning_share
    returning[:k] = True
    n_sessions = np.ones(n_visitors, dtype=np.int64)
    n_ret = int(returning.sum())
    n_sessions[returning] = 1 + bounded_zipf(
        rng, params.sessions_zipf, params.max_sessions - 1, n_ret
    )
    # A heavy visitor either browses in long sessions or comes back very often for a few views.
    mean_views = np.zeros(n_visitors)
    mean_views[:k] = np.exp(rng.uniform(np.log(2.5), np.log(40.0), size=k))
    n_sessions[:k] = np.clip(np.round(budget[:k] / mean_views[:k]), 2, 1_000).astype(np.int64)
    window = rng.exponential(params.return_window_days, size=n_visitors)
    window[:k] = rng.uniform(10.0, 100.0, size=k)
    engagement = rng.normal(size=n_visitors) + np.where(returning, 0.5, 0.0)
    # Long-session heavy visitors are power buyers; the quick, frequent ones are bot-like.
    engagement[:k] += np.where(mean_views[:k] >= params.bot_max_views, 1.0, -2.5)
    return Visitors(returning, engagement, n_sessions, mean_views, window)


def _view_offsets(rng: np.random.Generator, n_views: IntArray, params: GeneratorParams) -> IntArray:
    """ms since session start for every view: cumulative log-normal gaps, first view at 0."""
    total = int(n_views.sum())
    gaps_s = np.minimum(
        np.exp(np.log(params.gap_median_s) + params.gap_sigma * rng.standard_normal(total)),
        params.max_gap_s,
    )
    # Now and then a visitor leaves the tab open: a pause of minutes to an hour inside a session.
    pause = rng.random(total) < params.p_pause
    gaps_s[pause] = np.exp(rng.uniform(np.log(600.0), np.log(3_600.0), size=int(pause.sum())))
    gaps = np.maximum((gaps_s * 1000.0).astype(np.int64), 1)
    gaps[segment_starts(n_views)] = 0
    cum = np.cumsum(gaps)
    return cum - np.repeat(cum[segment_starts(n_views)], n_views)


def _raw_starts(
    rng: np.random.Generator,
    visitor: IntArray,
    first_in_visitor: BoolArray,
    window: FloatArray,
) -> IntArray:
    """Start time of each session: a day in the visitor's active window, a time from the cycle."""
    first_day = rng.integers(0, N_DAYS, size=len(window))
    n = len(visitor)
    offset_days = np.where(first_in_visitor, 0, np.floor(rng.random(n) * window[visitor]))
    day = first_day[visitor] + offset_days.astype(np.int64)
    overflow = day >= N_DAYS
    day[overflow] = np.maximum(first_day[visitor][overflow] - (day[overflow] - N_DAYS + 1), 0)
    hour = rng.choice(24, size=n, p=HOUR_PROFILE / HOUR_PROFILE.sum())
    tod = hour * HOUR_MS + rng.integers(0, HOUR_MS, size=n)
    return DAY0_MS + day * DAY_MS + tod


def build_sessions(
    rng: np.random.Generator, visitors: Visitors, params: GeneratorParams
) -> Sessions:
    """Sessions of all visitors with non-overlapping times, at least session_gap_min_ms apart."""
    visitor = segment_ids(visitors.n_sessions)
    first = position_in_segment(visitors.n_sessions) == 0
    ret = visitors.returning[visitor]
    n = len(visitor)
    n_views = np.where(
        ret,
        bounded_zipf(rng, params.returning_views_zipf, params.max_views, n),
        bounded_zipf(rng, params.casual_views_zipf, params.max_views, n),
    )
    mean = visitors.mean_views[visitor]
    heavy = mean > 0
    n_views[heavy] = np.minimum(rng.geometric(1.0 / mean[heavy]), params.max_views)
    start = _raw_starts(rng, visitor, first, visitors.window_days)
    start = np.where(start < TS_MIN_MS, start + DAY_MS, start)
    start = np.where(start > TS_MAX_MS - HOUR_MS, start - DAY_MS, start)
    order = np.lexsort((start, visitor))
    visitor, n_views, start = visitor[order], n_views[order], start[order]
    offsets = _view_offsets(rng, n_views, params)
    duration = offsets[segment_starts(n_views) + n_views - 1]
    start = _push_apart(start, duration, visitor, params.session_gap_min_ms)
    keep = start + duration + _FUNNEL_SPILL_MS <= TS_MAX_MS
    return _select(visitor, n_views, start, offsets, keep)


def _push_apart(start: IntArray, duration: IntArray, visitor: IntArray, gap_ms: int) -> IntArray:
    """start'[k] = max(start[k], start'[k-1] + duration[k-1] + gap) within each visitor."""
    step = duration + gap_ms
    cum = np.cumsum(step) - step  # sum of steps of all earlier sessions (any visitor)
    firsts = np.r_[True, visitor[1:] != visitor[:-1]]
    base = np.maximum.accumulate(np.where(firsts, cum, 0))
    before = cum - base  # sum of steps of this visitor's earlier sessions
    rel = start - TS_MIN_MS - before + visitor * _VISITOR_STRIDE
    pushed = np.maximum.accumulate(rel) - visitor * _VISITOR_STRIDE
    return pushed + before + TS_MIN_MS


def _select(
    visitor: IntArray, n_views: IntArray, start: IntArray, offsets: IntArray, keep: BoolArray
) -> Sessions:
    keep_views = np.repeat(keep, n_views)
    visitor, n_views, start = visitor[keep], n_views[keep], start[keep]
    firsts = np.r_[True, visitor[1:] != visitor[:-1]] if len(visitor) else np.ones(0, bool)
    idx = np.arange(len(visitor), dtype=np.int64)
    ordinal = idx - np.maximum.accumulate(np.where(firsts, idx, 0))
    return Sessions(
        visitor=visitor,
        ordinal=ordinal,
        n_views=n_views,
        start_ms=start,
        view_offset_ms=offsets[keep_views],
    )
