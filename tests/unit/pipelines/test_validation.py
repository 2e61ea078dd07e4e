"""The validation gate: thresholds from the spec and settings, decided by MLflow's
validate_evaluation_results on derived, direction-aware metrics."""

from __future__ import annotations

import pytest

from pipelines.lifecycle.validation import (
    CHANGE,
    LIFT,
    Scores,
    relative_change,
    thresholds_for,
    validate,
)
from pipelines.models.registry import spec_of
from shopstream.contracts import RECOMMENDER
from shopstream.settings import Settings, ValidationThresholds

BASELINES = {"popularity_hr_at_10": 0.05, "item_knn_hr_at_10": 0.10}


def test_relative_change_is_positive_when_better_in_either_direction() -> None:
    assert relative_change(0.11, 0.10, higher_is_better=True) == pytest.approx(0.1)
    assert relative_change(0.09, 0.10, higher_is_better=False) == pytest.approx(0.1)
    assert relative_change(0.3, 0.0, higher_is_better=True) == pytest.approx(0.3)


def test_default_thresholds_pass_a_tie_with_the_champion_and_refuse_a_drop() -> None:
    same = validate(ValidationThresholds(), Scores("hr", True, 0.2, 0.2, BASELINES))
    assert same.passed and same.metrics[CHANGE] == 0.0
    worse = validate(ValidationThresholds(), Scores("hr", True, 0.19, 0.2, BASELINES))
    assert not worse.passed
    assert any(CHANGE in failure for failure in worse.failures)


def test_an_allowed_drop_lets_a_slightly_worse_candidate_through() -> None:
    thresholds = ValidationThresholds(max_drop_vs_champion=0.1)
    assert validate(thresholds, Scores("hr", True, 0.19, 0.2)).passed
    assert not validate(thresholds, Scores("hr", True, 0.17, 0.2)).passed


def test_lift_is_measured_against_the_best_baseline_and_checked_only_when_set() -> None:
    scores = Scores("hr", True, 0.105, None, BASELINES)
    unchecked = validate(ValidationThresholds(), scores)
    assert unchecked.passed and unchecked.metrics[LIFT] == pytest.approx(0.05)
    assert any("no champion" in s for s in unchecked.skipped)
    refused = validate(ValidationThresholds(min_lift_over_baseline=0.1), scores)
    assert not refused.passed and any(LIFT in f for f in refused.failures)
    assert validate(ValidationThresholds(min_lift_over_baseline=0.0), scores).passed


def test_lower_is_better_metrics_flip_every_check() -> None:
    scores = Scores("mae", False, 1.0, 1.1, {"mean": 1.2})
    checked = validate(ValidationThresholds(min_lift_over_baseline=0.1, min_score=1.05), scores)
    assert checked.passed, checked.failures
    assert not validate(ValidationThresholds(min_score=0.9), scores).passed


def test_a_missing_candidate_score_fails() -> None:
    checked = validate(ValidationThresholds(), Scores("hr", True, None, 0.2))
    assert not checked.passed and "missing" in checked.summary()


def test_a_model_without_baselines_skips_the_lift_check_and_says_so() -> None:
    checked = validate(ValidationThresholds(min_lift_over_baseline=0.5),
                       Scores("silhouette", True, 0.4, 0.4))
    assert checked.passed and any("no baselines" in s for s in checked.skipped)


def test_settings_override_only_the_fields_they_set() -> None:
    settings = Settings(validation_thresholds={RECOMMENDER: {"min_lift_over_baseline": 0.02}})
    merged = thresholds_for(settings, spec_of(RECOMMENDER))
    assert merged.min_lift_over_baseline == 0.02
    assert merged.max_drop_vs_champion == spec_of(RECOMMENDER).validation.max_drop_vs_champion


def test_thresholds_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSTREAM_VALIDATION_THRESHOLDS",
                       '{"transaction_predictor": {"max_drop_vs_champion": 0.05}}')
    settings = Settings()
    assert settings.validation_thresholds["transaction_predictor"].max_drop_vs_champion == 0.05
    with pytest.raises(ValueError, match="max_drop_vs_champion"):
        Settings(validation_thresholds={RECOMMENDER: {"max_drop_vs_champion": 2}})
