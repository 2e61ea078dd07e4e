"""Data profiles, their shift (PSI) against a reference window, and the HTML report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.data.profile import DataProfile
from pipelines.data.shift import TOP_ITEMS, Reference, data_shift, item_buckets, psi
from pipelines.lifecycle.data_report import shift_words
from pipelines.lifecycle.report_html import render_report
from shopstream.contracts import ITEMID


def profile(views: int, carts: int, buys: int, items: dict[int, int]) -> DataProfile:
    counts = pd.DataFrame({ITEMID: list(items), "count": list(items.values())})
    return DataProfile(rows=views + carts + buys, visitors=10, items=len(items),
                       events={"view": views, "addtocart": carts, "transaction": buys},
                       first_ts=1_430_000_000_000, last_ts=1_430_600_000_000,
                       days={"2015-04-25": views, "2015-05-02": carts + buys},
                       timestamps_out_of_range=0, item_counts=counts)


def test_psi_is_zero_for_equal_shares_and_grows_with_the_shift() -> None:
    base = np.array([90.0, 7.0, 3.0])
    assert psi(base * 5, base) == pytest.approx(0.0)
    small, large = psi(np.array([85.0, 10.0, 5.0]), base), psi(np.array([50.0, 30, 20]), base)
    assert 0 < small < 0.1 < large
    assert np.isfinite(psi(np.array([100.0, 0.0, 0.0]), base)), "an empty bucket stays finite"


def test_item_buckets_split_top_items_the_rest_and_unseen_items() -> None:
    reference = pd.DataFrame({ITEMID: range(TOP_ITEMS + 10), "count": range(TOP_ITEMS + 10, 0, -1)})
    current = pd.DataFrame({ITEMID: [0, 1, TOP_ITEMS + 5, 99_999], "count": [4, 3, 2, 7]})
    buckets = item_buckets(current, reference)
    assert len(buckets) == TOP_ITEMS + 2
    assert buckets[0] == 4 and buckets[1] == 3
    assert buckets[-2] == 2, "a known item outside the top goes to 'the rest'"
    assert buckets[-1] == 7, "an item the reference never saw goes to 'unseen'"
    assert buckets.sum() == current["count"].sum()


def test_shift_of_a_window_against_itself_is_nothing() -> None:
    same = profile(900, 70, 30, {1: 500, 2: 300, 3: 200})
    shift = data_shift(same, same)
    assert shift.psi_event_mix == pytest.approx(0) and shift.psi_item_popularity == pytest.approx(0)
    assert shift.new_item_share == 0 and shift.above(0.2) == []


def test_a_new_catalogue_and_a_new_event_mix_are_named_above_the_limit() -> None:
    old = profile(900, 70, 30, {1: 500, 2: 300, 3: 200})
    new = profile(600, 250, 150, {7: 600, 8: 300, 1: 100})
    shift = data_shift(new, old)
    assert shift.new_item_share == pytest.approx(0.9)
    assert shift.psi_event_mix > 0.2 and shift.psi_item_popularity > 1
    words = shift_words(shift, Reference("recommender", "3", old), 0.2)
    assert words.startswith("data shift against v3's training window: event-mix PSI")
    assert "item-popularity PSI" in words
    assert shift_words(shift, Reference("recommender", "3", old), 100.0) == ""


def test_a_profile_survives_its_files(tmp_path: Path) -> None:
    original = profile(900, 70, 30, {1: 500, 2: 300, 3: 200})
    written = original.save(tmp_path / "data_report")
    assert [p.name for p in written] == ["profile.json", "item_counts.parquet"]
    loaded = DataProfile.load(tmp_path / "data_report")
    assert loaded.events == original.events and loaded.days == original.days
    assert loaded.item_counts.equals(original.item_counts)
    assert loaded.metrics()["data_share_transaction"] == pytest.approx(0.03)


def test_the_html_report_holds_the_numbers_the_shift_and_three_plots() -> None:
    old = profile(900, 70, 30, {1: 500, 2: 300, 3: 200})
    new = profile(600, 250, 150, {7: 600, 8: 300, 1: 100})
    page = render_report(new, data_shift(new, old), Reference("recommender", "3", old), 0.2)
    assert page.startswith("<!doctype html>") and page.count("data:image/png;base64,") == 3
    assert "champion v3" in page and "Above the limit 0.2" in page
    assert "1,000" in page and "15.00%" in page  # rows, transaction share
    first = render_report(old, None, None, 0.2)
    assert "sets the reference for the next one" in first
