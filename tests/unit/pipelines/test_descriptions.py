"""The registry's words: run names, model and version descriptions, promotion verdicts."""

from __future__ import annotations

import pytest

from pipelines.lifecycle.descriptions import (
    VERDICT_HEADING,
    TrainingData,
    Verdict,
    metric_sentence,
    model_description,
    run_name,
    verdict_sentence,
    version_description,
    with_verdict,
)
from pipelines.models.registry import SPECS, spec_of

pytestmark = pytest.mark.unit

BATCHES = TrainingData("batches", "1-50", "2015-05-03", "2015-06-01", 500_000,
                       location="s3://retail-events/batches/")
FILE = TrainingData("file", "1-4", "2015-05-03", "2015-06-01", 40_000, file="events.csv",
                    location="/data/raw/events.csv")


def test_run_names_say_what_was_read() -> None:
    assert run_name("recommender", BATCHES) == "recommender · batches 1-50"
    assert run_name("recommender", FILE) == "recommender · events.csv 2015-05-03..2015-06-01"


def test_data_sentence_and_tags() -> None:
    assert BATCHES.sentence() == ("Trained on batches 1-50 of `s3://retail-events/batches/`: "
                                  "2015-05-03 to 2015-06-01, 500,000 events.")
    assert FILE.sentence() == ("Trained on `events.csv` (`/data/raw/events.csv`): "
                               "2015-05-03 to 2015-06-01, 40,000 events.")
    assert FILE.tags() == {"batches": "1-4", "date_from": "2015-05-03",
                           "date_to": "2015-06-01", "data_source": "events.csv"}
    assert BATCHES.tags()["data_source"] == "batches"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_model_description_names_what_it_predicts_and_its_route(spec: object) -> None:
    from pipelines.models.spec import ModelSpec

    assert isinstance(spec, ModelSpec)
    text = model_description(spec)
    assert spec.description in text and f"`{spec.route}`" in text
    assert f"`{spec.main_metric}`" in text and "`production`" in text


def test_headline_metric_beside_baselines_with_lift() -> None:
    spec = spec_of("recommender")
    text = metric_sentence(spec, {"hr_at_10": 0.0926, "popularity_hr_at_10": 0.0217,
                                  "item_knn_hr_at_10": 0.05, "als_hr_at_10": 0.08})
    assert text == ("`hr_at_10` **0.0926** on the held-out period; baselines: "
                    "`popularity_hr_at_10` 0.0217, `item_knn_hr_at_10` 0.05; "
                    "lift over the best baseline +0.0426.")


def test_predictor_baselines_and_a_model_without_any() -> None:
    predictor = metric_sentence(spec_of("transaction_predictor"), {
        "pr_auc": 0.75, "base_rate_pr_auc": 0.014, "cart_only_pr_auc": 0.4,
        "history_only_pr_auc": float("nan")})
    assert "`base_rate_pr_auc` 0.014, `cart_only_pr_auc` 0.4;" in predictor
    assert "history_only" not in predictor and "+0.35" in predictor
    segments = metric_sentence(spec_of("user_segmentation"), {"silhouette": 0.9653})
    assert segments == ("`silhouette` **0.9653** on the held-out period "
                        "(this model has no baseline).")


def test_version_description_then_verdict_replaces_pending() -> None:
    spec = spec_of("transaction_predictor")
    text = version_description(spec, FILE, {"pr_auc": 0.7}, "http://m/#/x", "abc123")
    assert text.startswith(FILE.sentence())
    assert "[transaction_predictor · events.csv 2015-05-03..2015-06-01](http://m/#/x)" in text
    assert "`abc123`" in text and text.endswith(f"{VERDICT_HEADING} pending.")
    first = with_verdict(text, "**production** (promoted): better.")
    again = with_verdict(first, "**not promoted** (rejected-worse): worse.")
    assert again.count(VERDICT_HEADING) == 1 and "pending" not in again
    assert again.endswith(f"{VERDICT_HEADING} **not promoted** (rejected-worse): worse.")
    assert again.startswith(FILE.sentence())
    assert with_verdict("", "x") == f"{VERDICT_HEADING} x"


@pytest.mark.parametrize(("verdict", "expected"), [
    (Verdict("promoted", "pr_auc", "4", "3", 0.81, 0.8, "rescored-on-v4-holdout"),
     "**production** (promoted): not worse: `pr_auc` 0.81 against champion v3's 0.8 on "
     "v4's held-out period."),
    (Verdict("rejected-validation", "pr_auc", "5", "4", 0.7, 0.81, "logged-metric",
             validation="validation failed: change_vs_champion -0.136 < 0"),
     "**not promoted** (rejected-validation): `pr_auc` 0.7 against champion v4's 0.81 as "
     "logged by the training runs (no holdout to rescore); validation failed: "
     "change_vs_champion -0.136 < 0."),
    (Verdict("promoted", "hr_at_10", "3", "2", 0.2, 0.2, "rescored-on-v3-holdout",
             validation="validation passed", data_shift="data shift against v2's training "
             "window: event-mix PSI 0.4 > 0.2"),
     "**production** (promoted): not worse: `hr_at_10` 0.2 against champion v2's 0.2 on v3's "
     "held-out period; validation passed; data shift against v2's training window: event-mix "
     "PSI 0.4 > 0.2."),
    (Verdict("first-version", "silhouette", "1", None, 0.96, None, "logged-metric"),
     "**production** (first-version): the first version, nothing to compare with "
     "(`silhouette` 0.96 as logged)."),
    (Verdict("rejected-gate", "pr_auc", "2", "1", None, None, "gate", "only 3 buying sessions"),
     "**not promoted** (rejected-gate): the model's gate refused it: only 3 buying sessions."),
    (Verdict("forced", "hr_at_10", "6", "5", 0.01, 0.09, "rescored-on-v6-holdout"),
     "**production** (forced): forced by hand: `hr_at_10` 0.01 against champion v5's 0.09 on "
     "v6's held-out period."),
])
def test_verdict_sentences(verdict: Verdict, expected: str) -> None:
    assert verdict_sentence(verdict) == expected
