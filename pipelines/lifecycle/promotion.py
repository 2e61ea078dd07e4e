"""Champion/challenger promotion of registered versions (alias ``production``).

The candidate and the current champion are re-scored on the *candidate's* held-out period
(the evaluation rows its training run logged under ``holdout/``), with the same numpy code:
each model's spec names its main metric and scores a version on the holdout (recommender
HR@10 with seen items excluded, predictor PR-AUC, segmentation silhouette). The model type
comes from the version's ``model_type`` tag, never from its name. When a version has no
holdout artifact (a model saved outside the training pipeline) the comparison falls back to
the main metric their training runs logged and says so in ``promotion_basis``. The first
version of a model has no champion: its run's logged metric is used.

The verdict, in order: the model's own gate (its spec, from the training run), then the
validation gate (:mod:`pipelines.lifecycle.validation`: MLflow's validation API with the
thresholds from the spec and settings: lift over the best baseline, drop against the
champion, an absolute floor). A data shift against the champion's training window above
``Settings.data_shift_psi_limit`` is named in the verdict (it does not block). Every version
stays registered either way; the decision, its reason, the thresholds and the validation
result are written as tags of the candidate and the verdict ends its description. A dry run
decides the same way and writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipelines.errors import PromotionError
from pipelines.lifecycle.data_report import shift_words, version_profile
from pipelines.lifecycle.descriptions import (
    Verdict,
    verdict_reason,
    verdict_sentence,
    with_verdict,
)
from pipelines.lifecycle.promotion_scores import promotion_scores
from pipelines.lifecycle.tracking import champion_version, client, configure, version_link
from pipelines.lifecycle.validation import Validation, described, thresholds_for, validate
from pipelines.models.registry import spec_of
from pipelines.models.spec import ModelSpec
from shopstream.contracts import MODEL_TYPE_TAG, PRODUCTION_ALIAS
from shopstream.settings import Settings

__all__ = ["PromotionDecision", "champion_version", "latest_version", "promote"]
logger = logging.getLogger(__name__)
MOVES_ALIAS = frozenset({"first-version", "promoted", "forced"})
NOT_COMPARED = "not compared"  # the data shift, without a champion or a data report


@dataclass
class PromotionDecision:
    name: str
    candidate: str
    champion: str | None
    metric: str
    candidate_score: float | None
    champion_score: float | None
    promoted: bool
    decision: str
    basis: str
    reason: str = ""  # the verdict in words
    version_url: str = ""  # the candidate's page in the MLflow UI
    validation: dict[str, Any] = field(default_factory=dict)  # thresholds, metrics, failures
    # a shift above the limit in words, "" when none, "not compared" without both reports
    data_shift: str = ""
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> dict[str, Any]:
        """The verdict for a person: what happens, why, against which thresholds."""
        moved = "would move" if self.dry_run else "moved"
        stays = "would stay" if self.dry_run else "stays"
        alias = (f"{moved} to v{self.candidate}" if self.promoted
                 and self.decision != "already-production" else
                 f"{stays} on v{self.champion}" if self.champion else "no production version")
        thresholds = self.validation.get("thresholds", {})
        return {"verdict": self.decision, PRODUCTION_ALIAS: alias, "reason": self.reason,
                "thresholds": ", ".join(f"{k}={v}" for k, v in thresholds.items()),
                "checked": ", ".join(f"{k} {v:.4g}"
                                     for k, v in self.validation.get("metrics", {}).items()),
                "data shift": self.data_shift or "none above the limit",
                "version": self.version_url}


def model_spec(settings: Settings, name: str, version: str) -> ModelSpec:
    """The spec of a registered version, from its ``model_type`` tag."""
    kind = client(settings).get_model_version(name, version).tags.get(MODEL_TYPE_TAG)
    if not kind:
        msg = (f"{name} v{version} has no {MODEL_TYPE_TAG!r} tag, so its model type is unknown; "
               f"set it (MlflowClient().set_model_version_tag({name!r}, {version!r}, "
               f"{MODEL_TYPE_TAG!r}, <model type>)) or register it with `shopstream train`")
        raise PromotionError(msg)
    return spec_of(kind)


def latest_version(settings: Settings, name: str) -> str:
    versions = client(settings).search_model_versions(f"name = '{name}'")
    if not versions:
        msg = f"no registered versions of {name!r}; train one first (`shopstream train`)"
        raise PromotionError(msg)
    return str(max(int(v.version) for v in versions))


def promote(settings: Settings, name: str, version: str | None = None, force: bool = False,
            refusal: str | None = None, dry_run: bool = False) -> PromotionDecision:
    """Decide whether `version` (default: the latest) takes the alias from the champion, move
    it unless `dry_run`, and record the verdict on the version (see the module docstring)."""
    configure(settings)
    candidate = version or latest_version(settings, name)
    spec = model_spec(settings, name, candidate)
    champion = champion_version(settings, name)
    if champion == candidate:
        return PromotionDecision(name, candidate, champion, spec.main_metric, None, None, True,
                                 "already-production", "none", "it already holds the alias",
                                 version_link(settings, name, candidate), dry_run=dry_run)
    scores, basis = promotion_scores(settings, spec, name, candidate, champion)
    checked = validate(thresholds_for(settings, spec), scores)
    decision = _decide(champion, checked, refusal, force)
    result = PromotionDecision(name, candidate, champion, spec.main_metric, scores.candidate,
                               scores.champion, decision in MOVES_ALIAS, decision,
                               "gate" if decision == "rejected-gate" else basis,
                               validation=described(checked),
                               data_shift=_shift(settings, name, candidate, champion),
                               dry_run=dry_run)
    verdict = _verdict(result, refusal, checked)
    result.reason = verdict_reason(verdict)
    result.version_url = version_link(settings, name, candidate)
    if dry_run:
        return result
    if result.promoted:
        client(settings).set_registered_model_alias(name, PRODUCTION_ALIAS, candidate)
    _record(settings, result, checked, verdict)
    return result


def _decide(champion: str | None, checked: Validation, refusal: str | None,
            force: bool) -> str:
    if force:
        return "forced"
    if refusal:
        return "rejected-gate"
    if not checked.passed:
        return "rejected-validation"
    return "first-version" if champion is None else "promoted"


def _shift(settings: Settings, name: str, candidate: str, champion: str | None) -> str:
    """The data shift of the candidate's training data against the champion's: "" when no PSI
    is above the limit, the shift in words when one is, NOT_COMPARED without a champion or
    when either version's run has no data report."""
    if champion is None:
        return NOT_COMPARED
    mine, theirs = version_profile(settings, name, candidate), version_profile(settings, name,
                                                                               champion)
    if mine is None or theirs is None:
        return NOT_COMPARED
    from pipelines.data.shift import Reference, data_shift

    reference = Reference(name, champion, theirs)
    return shift_words(data_shift(mine, theirs), reference, settings.data_shift_psi_limit)


def _verdict(result: PromotionDecision, refusal: str | None, checked: Validation) -> Verdict:
    return Verdict(result.decision, result.metric, result.candidate, result.champion,
                   result.candidate_score, result.champion_score, result.basis,
                   refusal, validation=checked.summary(),
                   data_shift="" if result.data_shift == NOT_COMPARED else result.data_shift)


def _record(settings: Settings, result: PromotionDecision, checked: Validation,
            verdict: Verdict) -> None:
    tags = {"promotion_decision": result.decision, "promotion_reason": result.reason,
            "promotion_metric": result.metric, "promotion_basis": result.basis,
            "promotion_champion_version": result.champion or "",
            "promotion_candidate_score": _fmt(result.candidate_score),
            "promotion_champion_score": _fmt(result.champion_score),
            "validation_thresholds": checked.thresholds_json(),
            "validation_result": "passed" if checked.passed else "failed",
            "data_shift": result.data_shift or "none",
            "promotion_at": datetime.now(tz=UTC).isoformat(timespec="seconds")}
    mlflow_client = client(settings)
    for key, value in tags.items():
        mlflow_client.set_model_version_tag(result.name, result.candidate, key, value)
    current = mlflow_client.get_model_version(result.name, result.candidate).description or ""
    mlflow_client.update_model_version(result.name, result.candidate,
                                       description=with_verdict(current,
                                                                verdict_sentence(verdict)))
    logger.info("promotion %s v%s vs v%s: %s (%s %s vs %s)", result.name, result.candidate,
                result.champion, result.decision, result.metric, result.candidate_score,
                result.champion_score)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
