"""The generator's shape against real Retail Rocket rows (no services needed).

The full default size is generated once (~10 s) so that a random 50k sample of it can be set
beside events_random_50k.csv, a random 50k sample of the real file: like with like.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion.synthetic import (
    DEFAULT_EVENTS,
    PUBLISHED,
    TS_MAX_MS,
    TS_MIN_MS,
    generate_events,
    summarize,
)

SAMPLE_ROWS = 50_000


@pytest.fixture(scope="module")
def full() -> pd.DataFrame:
    table = generate_events(DEFAULT_EVENTS, 42)
    figures = summarize(table)
    df = table.to_pandas()
    df.attrs["figures"] = figures
    return df


@pytest.fixture(scope="module")
def generated(full: pd.DataFrame) -> pd.DataFrame:
    return full.sample(SAMPLE_ROWS, random_state=0)


@pytest.fixture(scope="module")
def real(real_sample_dir: Path) -> pd.DataFrame:
    return pd.read_csv(real_sample_dir / "events_random_50k.csv")


def _hour_profile(df: pd.DataFrame) -> np.ndarray:
    hours = pd.to_datetime(df.timestamp, unit="ms", utc=True).dt.hour
    return np.bincount(hours, minlength=24) / len(df)


def test_full_size_matches_published_figures(full: pd.DataFrame) -> None:
    figures = full.attrs["figures"]
    assert figures["events"] == PUBLISHED["events"]
    for name, target in PUBLISHED.items():
        assert figures[name] == pytest.approx(target, rel=0.1), name


def test_event_mix_matches_real(generated: pd.DataFrame, real: pd.DataFrame) -> None:
    gen_mix = generated.event.value_counts(normalize=True)
    real_mix = real.event.value_counts(normalize=True)
    for kind in ("view", "addtocart", "transaction"):
        assert gen_mix[kind] == pytest.approx(real_mix[kind], rel=0.2), kind


def test_transactionid_exactly_on_transactions_like_real(
    generated: pd.DataFrame, real: pd.DataFrame
) -> None:
    for df in (generated, real):
        is_txn = df.event.eq("transaction")
        assert df.transactionid[is_txn].notna().mean() == 1.0
        assert df.transactionid[~is_txn].notna().sum() == 0


def test_events_per_visitor_heavy_tailed_like_real(
    generated: pd.DataFrame, real: pd.DataFrame
) -> None:
    gen, rea = generated.visitorid.value_counts(), real.visitorid.value_counts()
    assert len(gen) == pytest.approx(len(rea), rel=0.1)
    assert (gen == 1).mean() == pytest.approx((rea == 1).mean(), abs=0.05)
    # A few very active visitors, as in the real sample.
    assert gen.max() >= 10 and rea.max() >= 10


def test_item_popularity_like_real(generated: pd.DataFrame, real: pd.DataFrame) -> None:
    def top_share(df: pd.DataFrame) -> float:
        counts = df.itemid.value_counts()
        return float(counts.iloc[: len(counts) // 100].sum() / len(df))

    assert generated.itemid.nunique() == pytest.approx(real.itemid.nunique(), rel=0.25)
    assert top_share(generated) == pytest.approx(top_share(real), rel=0.4)


def test_time_of_day_profile_like_real(generated: pd.DataFrame, real: pd.DataFrame) -> None:
    gen, rea = _hour_profile(generated), _hour_profile(real)
    total_variation = 0.5 * np.abs(gen - rea).sum()
    assert total_variation < 0.08
    assert gen.argmin() in range(6, 13) and rea.argmin() in range(6, 13)


def test_time_range_like_real(full: pd.DataFrame, real: pd.DataFrame) -> None:
    span_days = (full.timestamp.max() - full.timestamp.min()) / 86_400_000
    real_days = (real.timestamp.max() - real.timestamp.min()) / 86_400_000
    assert span_days == pytest.approx(real_days, abs=1.0)
    for df in (full, real):
        assert df.timestamp.min() >= TS_MIN_MS and df.timestamp.max() <= TS_MAX_MS
