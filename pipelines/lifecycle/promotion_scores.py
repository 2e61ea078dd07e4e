"""The numbers promotion compares: the candidate and the champion rescored on the candidate's
held-out rows (or, without a holdout, the main metric their runs logged), and the baselines
the candidate's training run scored on the same rows."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from pipelines.lifecycle.runs import CUTOFF_PARAM, HOLDOUT_DIR
from pipelines.lifecycle.tracking import client, version_run_id
from pipelines.lifecycle.validation import Scores
from pipelines.models.spec import ModelSpec
from shopstream.settings import Settings

logger = logging.getLogger(__name__)


def promotion_scores(settings: Settings, spec: ModelSpec, name: str, candidate: str,
                     champion: str | None) -> tuple[Scores, str]:
    """(the scores, their basis). A first version (no champion) is not rescored: its run's
    logged metric and baselines are on the same holdout already."""
    logged_score = logged(settings, name, candidate, spec.main_metric)
    baselines = logged_metrics(settings, name, candidate, spec.baselines)
    owner = fair_holdout_owner(settings, name, candidate, champion) if champion else None
    holdout = (_download_holdout(settings, name, owner, spec.holdout_file)
               if owner is not None else None)
    if holdout is None:
        cand = logged_score
        champ = logged(settings, name, champion, spec.main_metric) if champion else None
        basis = "logged-metric"
    else:
        cand = spec.score_holdout(f"models:/{name}/{candidate}", holdout)
        champ = spec.score_holdout(f"models:/{name}/{champion}", holdout)
        basis = f"rescored-on-v{owner}-holdout"
    return Scores(spec.main_metric, spec.higher_is_better, cand, champ, baselines,
                  logged_score), basis


def fair_holdout_owner(settings: Settings, name: str, candidate: str, champion: str) -> str:
    """Whose held-out period both versions are scored on: the one trained up to the later
    cutoff (its run's ``cutoff_ms`` parameter). The other version trained only on events
    before that cutoff, so neither has seen the period. Scoring the champion on the
    candidate's holdout when it had trained on those very events (a candidate trained on old
    batches against a champion trained on all of them) excludes every held-out item as
    "seen" and scores it 0. Models without a time cutoff use the candidate's holdout."""
    mine = cutoff_of(settings, name, candidate)
    theirs = cutoff_of(settings, name, champion)
    if mine is None or theirs is None or theirs <= mine:
        return candidate
    logger.info("%s: champion v%s trained up to a later cutoff than v%s; both are scored on "
                "the champion's held-out period", name, champion, candidate)
    return champion


def cutoff_of(settings: Settings, name: str, version: str) -> int | None:
    run_id = version_run_id(settings, name, version)
    if not run_id:
        return None
    value = client(settings).get_run(run_id).data.params.get(CUTOFF_PARAM)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def logged_metrics(settings: Settings, name: str, version: str,
                   metrics: tuple[str, ...]) -> dict[str, float]:
    found = {m: logged(settings, name, version, m) for m in metrics}
    return {m: v for m, v in found.items() if v is not None}


def logged(settings: Settings, name: str, version: str | None, metric: str) -> float | None:
    """The metric the version's training run logged (a version tag of that name, set by hand
    on a model registered outside the pipeline, when the run has none)."""
    if version is None:
        return None
    mlflow_client = client(settings)
    run_id = version_run_id(settings, name, version)
    if run_id:
        value = mlflow_client.get_run(run_id).data.metrics.get(metric)
        if value is not None:
            return float(value)
    tag = mlflow_client.get_model_version(name, version).tags.get(metric)
    try:
        return float(tag) if tag not in (None, "") else None
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
