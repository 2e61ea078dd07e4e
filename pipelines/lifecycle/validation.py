"""Promotion's validation gate: a candidate's scores checked by MLflow's model-validation API.

The thresholds of a model are its spec's (:attr:`ModelSpec.validation`) with the fields set in
``Settings.validation_thresholds[<model type>]`` replacing them. They are relative, so that
one setting reads the same for every metric, and direction-aware (for a lower-is-better
metric "lift" means lower):

- ``min_lift_over_baseline``: the candidate against the best baseline its training run scored
  on the same held-out rows (item-kNN, cart-only, …);
- ``max_drop_vs_champion``: the candidate against the champion rescored on the same holdout;
- ``min_score``: an absolute bound on the main metric.

The checks become derived metrics of the candidate (``lift_over_best_baseline``,
``change_vs_champion``, the main metric) with one :class:`mlflow.models.MetricThreshold`
each, and :func:`mlflow.validate_evaluation_results` decides. A check whose reference is
missing (no champion yet, a model without baselines) is left out and says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shopstream.settings import Settings, ValidationThresholds

if TYPE_CHECKING:
    from mlflow.models import MetricThreshold

    from pipelines.models.spec import ModelSpec

LIFT = "lift_over_best_baseline"
CHANGE = "change_vs_champion"


@dataclass(frozen=True)
class Scores:
    """The numbers a verdict compares: all on the candidate's held-out rows."""

    metric: str
    higher_is_better: bool
    candidate: float | None
    champion: float | None = None
    baselines: Mapping[str, float] = field(default_factory=dict)
    # the candidate's main metric as its run logged it, on the rows its baselines were scored
    # on (the lift compares these; `candidate` may be rescored on another version's holdout)
    logged: float | None = None

    def best_baseline(self) -> tuple[str, float] | None:
        if not self.baselines:
            return None
        pick = max if self.higher_is_better else min
        name = pick(self.baselines, key=lambda k: self.baselines[k])
        return name, self.baselines[name]


@dataclass(frozen=True)
class Validation:
    """The gate's outcome: passed or not, the failures in words, what was (not) checked."""

    passed: bool
    thresholds: ValidationThresholds
    metrics: dict[str, float]
    failures: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.passed:
            checked = ", ".join(f"{k} {v:.4g}" for k, v in self.metrics.items())
            return f"validation passed ({checked})" if checked else "validation passed"
        return "validation failed: " + ", ".join(self.failures)

    def thresholds_json(self) -> str:
        return json.dumps(self.thresholds.model_dump(), sort_keys=True)


def thresholds_for(settings: Settings, spec: ModelSpec) -> ValidationThresholds:
    return spec.validation.merged(settings.validation_thresholds.get(spec.name))


def relative_change(value: float, reference: float, higher_is_better: bool) -> float:
    """(value - reference) / |reference|, signed so that positive means better; the absolute
    difference when the reference is 0."""
    diff = value - reference if higher_is_better else reference - value
    return diff / abs(reference) if reference != 0 else diff


def validate(thresholds: ValidationThresholds, scores: Scores) -> Validation:
    """Run MLflow's validation of the candidate's derived metrics against the thresholds."""
    import mlflow
    from mlflow.models.evaluation import EvaluationResult
    from mlflow.models.evaluation.validation import ModelValidationFailedException

    metrics, checks, skipped = _checks(thresholds, scores)
    try:
        mlflow.validate_evaluation_results(checks, EvaluationResult(metrics, {}))
    except ModelValidationFailedException as e:
        failed = [name for name in checks if f"etric {name} " in e.message]
        return Validation(False, thresholds, metrics,
                          tuple(_failure(name, metrics, checks[name]) for name in failed),
                          skipped)
    return Validation(True, thresholds, metrics, (), skipped)


def _failure(name: str, metrics: dict[str, float], check: MetricThreshold) -> str:
    """One failed check in words ("lift_over_best_baseline 0.0556 below 0.1")."""
    if name not in metrics:
        return f"{name} missing"
    side = "below" if check.greater_is_better else "above"
    return f"{name} {metrics[name]:.4g} {side} {check.threshold:.4g}"


def _checks(thresholds: ValidationThresholds, scores: Scores
            ) -> tuple[dict[str, float], dict[str, MetricThreshold], tuple[str, ...]]:
    from mlflow.models import MetricThreshold

    metrics: dict[str, float] = {}
    checks: dict[str, MetricThreshold] = {}
    skipped: list[str] = []
    if scores.candidate is None:  # every check then fails as "missing from the candidate"
        checks[scores.metric] = MetricThreshold(
            threshold=thresholds.min_score if thresholds.min_score is not None else 0.0,
            greater_is_better=scores.higher_is_better)
        return metrics, checks, ()
    metrics[scores.metric] = scores.candidate
    if thresholds.min_score is not None:
        checks[scores.metric] = MetricThreshold(threshold=thresholds.min_score,
                                                greater_is_better=scores.higher_is_better)
    best = scores.best_baseline()
    if best is not None:  # recorded either way; checked when a minimum lift is set
        own = scores.logged if scores.logged is not None else scores.candidate
        metrics[LIFT] = relative_change(own, best[1], scores.higher_is_better)
    if thresholds.min_lift_over_baseline is not None:
        if best is None:
            skipped.append(f"{LIFT}: the model logs no baselines")
        else:
            checks[LIFT] = MetricThreshold(threshold=thresholds.min_lift_over_baseline,
                                           greater_is_better=True)
    if scores.champion is None:
        skipped.append(f"{CHANGE}: no champion to compare with")
    else:
        metrics[CHANGE] = relative_change(scores.candidate, scores.champion,
                                          scores.higher_is_better)
        allowed = thresholds.max_drop_vs_champion
        checks[CHANGE] = MetricThreshold(threshold=-allowed if allowed else 0.0,
                                         greater_is_better=True)
    return metrics, checks, tuple(skipped)


def described(validation: Validation) -> dict[str, Any]:
    """The gate's outcome as JSON for the CLI."""
    return {"passed": validation.passed, "thresholds": validation.thresholds.model_dump(),
            "metrics": validation.metrics, "failures": list(validation.failures),
            "skipped": list(validation.skipped)}
