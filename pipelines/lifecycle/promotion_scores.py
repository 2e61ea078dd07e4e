"""The numbers promotion compares: the candidate and the champion rescored on one held-out
period neither trained on (or, without a holdout, the main metric their runs logged), and the
baselines the candidate's training run scored on its own rows."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lifecycle.runs import CUTOFF_PARAM, HOLDOUT_DIR
from pipelines.lifecycle.tracking import client
from pipelines.lifecycle.validation import Scores
from pipelines.models.spec import ModelSpec
from shopstream.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionRecord:
    """What promotion reads of a registered version, fetched once: its training run's id,
    metrics and parameters, and the version's tags."""

    version: str
    run_id: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def metric(self, key: str) -> float | None:
        """The metric its run logged, else a version tag of that name (set by hand on a model
        registered outside the pipeline)."""
        if key in self.metrics:
            return float(self.metrics[key])
        try:
            return float(self.tags[key]) if self.tags.get(key) else None
        except ValueError:
            return None

    def cutoff(self) -> int | None:
        value = self.params.get(CUTOFF_PARAM)
        try:
            return int(value) if value else None
        except ValueError:
            return None


def version_record(settings: Settings, name: str, version: str) -> VersionRecord:
    mlflow_client = client(settings)
    mv = mlflow_client.get_model_version(name, version)
    tags = dict(mv.tags)
    run_id = tags.get("run_id") or mv.run_id or None
    if not run_id:
        return VersionRecord(version, None, tags=tags)
    data = mlflow_client.get_run(run_id).data
    return VersionRecord(version, run_id, dict(data.metrics), dict(data.params), tags)


def promotion_scores(settings: Settings, spec: ModelSpec, name: str, candidate: str,
                     champion: str | None) -> tuple[Scores, str]:
    """(the scores, their basis). A first version (no champion) is not rescored: its run's
    logged metric and baselines are on the same holdout already."""
    mine = version_record(settings, name, candidate)
    theirs = version_record(settings, name, champion) if champion else None
    logged_score = mine.metric(spec.main_metric)
    found = {b: mine.metric(b) for b in spec.baselines}
    baselines = {b: v for b, v in found.items() if v is not None}

    def scores(cand: float | None, champ: float | None) -> Scores:
        return Scores(spec.main_metric, spec.higher_is_better, cand, champ, baselines,
                      logged_score)

    if theirs is not None:
        owner = fair_holdout_owner(mine, theirs)
        holdout = _download_holdout(owner, spec.holdout_file)
        if holdout is not None:
            return (scores(spec.score_holdout(f"models:/{name}/{candidate}", holdout),
                           spec.score_holdout(f"models:/{name}/{theirs.version}", holdout)),
                    f"rescored-on-v{owner.version}-holdout")
    return (scores(logged_score, theirs.metric(spec.main_metric) if theirs else None),
            "logged-metric")


def fair_holdout_owner(candidate: VersionRecord, champion: VersionRecord) -> VersionRecord:
    """Whose held-out period both versions are scored on: the one trained up to the later
    cutoff (its run's ``cutoff_ms`` parameter). The other version trained only on events
    before that cutoff, so neither has seen the period. Scoring the champion on the
    candidate's holdout when it had trained on those very events (a candidate trained on old
    batches against a champion trained on all of them) excludes every held-out item as
    "seen" and scores it 0. Models without a time cutoff use the candidate's holdout."""
    mine, theirs = candidate.cutoff(), champion.cutoff()
    if mine is None or theirs is None or theirs <= mine:
        return candidate
    logger.info("champion v%s trained up to a later cutoff than v%s; both are scored on the "
                "champion's held-out period", champion.version, candidate.version)
    return champion


def _download_holdout(owner: VersionRecord, filename: str) -> Path | None:
    import mlflow

    if not owner.run_id:
        return None
    target = Path(tempfile.mkdtemp(prefix="shopstream-promote-"))
    try:
        path = mlflow.artifacts.download_artifacts(
            run_id=owner.run_id, artifact_path=f"{HOLDOUT_DIR}/{filename}", dst_path=str(target)
        )
    except Exception:  # no holdout logged for this run (e.g. a hand-made model)
        logger.info("no holdout artifact for v%s; comparing logged metrics", owner.version)
        return None
    return Path(path)
