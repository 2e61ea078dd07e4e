"""Champion/challenger promotion of registered versions (alias ``production``).

The candidate and the current champion are re-scored on the *candidate's* held-out period
(the evaluation rows its training run logged under ``holdout/``), with the same numpy code:
each model's spec names its main metric and scores a version on the holdout (recommender
HR@10 with seen items excluded, predictor PR-AUC, segmentation silhouette). The model type
comes from the version's ``model_type`` tag, never from its name. When a version has no
holdout artifact (a model saved outside the training pipeline) the comparison falls back to
the main metric their training runs logged and says so in ``promotion_basis``. The alias
moves only when the spec's rule says the candidate is not worse (or with force); every
version stays registered either way. The decision, its reason and both scores are written as
tags of the candidate version, and the verdict with its reason ends the version's description.
The first version of a model has no champion to beat: it is promoted without rescoring, and
its logged main metric is recorded.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.errors import PromotionError
from pipelines.lifecycle.descriptions import (
    Verdict,
    verdict_reason,
    verdict_sentence,
    with_verdict,
)
from pipelines.lifecycle.runs import HOLDOUT_DIR
from pipelines.lifecycle.tracking import client, configure, version_link
from pipelines.models.registry import spec_of
from pipelines.models.spec import ModelSpec
from shopstream.contracts import MODEL_TYPE_TAG, PRODUCTION_ALIAS
from shopstream.settings import Settings

logger = logging.getLogger(__name__)


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
    reason: str = ""  # the verdict in words (set when recorded)
    version_url: str = ""  # the candidate's page in the MLflow UI

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def model_spec(settings: Settings, name: str, version: str) -> ModelSpec:
    """The spec of a registered version, from its ``model_type`` tag."""
    kind = client(settings).get_model_version(name, version).tags.get(MODEL_TYPE_TAG)
    if not kind:
        msg = (f"{name} v{version} has no {MODEL_TYPE_TAG!r} tag, so its model type is unknown; "
               f"set it (MlflowClient().set_model_version_tag({name!r}, {version!r}, "
               f"{MODEL_TYPE_TAG!r}, <model type>)) or register it with `shopstream train`")
        raise PromotionError(msg)
    return spec_of(kind)


def champion_version(settings: Settings, name: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client(settings).get_model_version_by_alias(name, PRODUCTION_ALIAS).version)
    except MlflowException:
        return None


def latest_version(settings: Settings, name: str) -> str:
    versions = client(settings).search_model_versions(f"name = '{name}'")
    if not versions:
        msg = f"no registered versions of {name!r}; train one first (`shopstream train`)"
        raise PromotionError(msg)
    return str(max(int(v.version) for v in versions))


def promote(settings: Settings, name: str, version: str | None = None,
            force: bool = False, refusal: str | None = None) -> PromotionDecision:
    """Compare `version` (default: the latest) with the champion; move the alias if not worse.
    A `refusal` (the spec's gate, from the training run) keeps the alias where it is."""
    configure(settings)
    candidate = version or latest_version(settings, name)
    spec = model_spec(settings, name, candidate)
    champion = champion_version(settings, name)
    metric = spec.main_metric
    if refusal and not force:
        logger.warning("%s v%s not promoted: %s", name, candidate, refusal)
        return _record(settings, PromotionDecision(name, candidate, champion, metric, None,
                                                   None, False, "rejected-gate", refusal),
                       refusal)
    if champion == candidate:
        return _record(settings, PromotionDecision(name, candidate, champion, metric, None, None,
                                                   True, "already-production", "none"))
    if champion is None:  # nothing to compare with: the training run's own score is recorded
        first = PromotionDecision(name, candidate, None, metric,
                                  _logged(settings, name, candidate, metric), None, True,
                                  "first-version", "logged-metric")
        client(settings).set_registered_model_alias(name, PRODUCTION_ALIAS, candidate)
        return _record(settings, first)
    candidate_score, champion_score, basis = _scores(settings, spec, name, candidate, champion)
    if force:
        decision, promoted = "forced", True
    elif spec.better(candidate_score, champion_score):
        decision, promoted = "promoted", True
    else:
        decision, promoted = "rejected-worse", False
    result = PromotionDecision(name, candidate, champion, metric, candidate_score,
                               champion_score, promoted, decision, basis)
    if promoted:
        client(settings).set_registered_model_alias(name, PRODUCTION_ALIAS, candidate)
    return _record(settings, result)


def _record(settings: Settings, result: PromotionDecision,
            refusal: str | None = None) -> PromotionDecision:
    verdict = Verdict(result.decision, result.metric, result.candidate, result.champion,
                      result.candidate_score, result.champion_score,
                      "gate" if refusal else result.basis, refusal)
    result.reason = verdict_reason(verdict)
    result.version_url = version_link(settings, result.name, result.candidate)
    tags = {"promotion_decision": result.decision, "promotion_reason": result.reason,
            "promotion_metric": result.metric, "promotion_basis": result.basis,
            "promotion_champion_version": result.champion or "",
            "promotion_candidate_score": _fmt(result.candidate_score),
            "promotion_champion_score": _fmt(result.champion_score),
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
    return result


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _scores(settings: Settings, spec: ModelSpec, name: str, candidate: str,
            champion: str | None) -> tuple[float | None, float | None, str]:
    holdout = _download_holdout(settings, name, candidate, spec.holdout_file)
    if holdout is None:
        return (_logged(settings, name, candidate, spec.main_metric),
                _logged(settings, name, champion, spec.main_metric) if champion else None,
                "logged-metric")
    cand = spec.score_holdout(f"models:/{name}/{candidate}", holdout)
    champ = spec.score_holdout(f"models:/{name}/{champion}", holdout) if champion else None
    return cand, champ, f"rescored-on-v{candidate}-holdout"


def _logged(settings: Settings, name: str, version: str | None, metric: str) -> float | None:
    """The metric the version's training run logged (a version tag of that name, set by hand
    on a model registered outside the pipeline, when the run has none)."""
    if version is None:
        return None
    mlflow_client = client(settings)
    mv = mlflow_client.get_model_version(name, version)
    run_id = mv.tags.get("run_id") or mv.run_id
    if run_id:
        logged = mlflow_client.get_run(run_id).data.metrics.get(metric)
        if logged is not None:
            return float(logged)
    value = mv.tags.get(metric)
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _download_holdout(settings: Settings, name: str, version: str,
                      filename: str) -> Path | None:
    import mlflow

    run_id = client(settings).get_model_version(name, version).tags.get("run_id")
    if not run_id:
        return None
    target = Path(tempfile.mkdtemp(prefix="shopstream-promote-"))
    try:
        path = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=f"{HOLDOUT_DIR}/{filename}", dst_path=str(target)
        )
    except Exception:  # no holdout logged for this run (e.g. a hand-made model)
        logger.info("no holdout artifact for %s v%s; comparing logged metrics", name, version)
        return None
    return Path(path)


def finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
