"""What the MLflow registry says in words: run names, model and version descriptions, verdicts.

Pure functions over plain values (no MLflow, no Spark), so every sentence is unit-tested. A
version's description is written in two steps: at registration (the data it was trained on,
its headline metric beside its baselines, a link to its run), then the promotion verdict is
appended as its last section, replacing an earlier verdict (a re-run of ``shopstream
promote``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipelines.models.spec import ModelSpec

VERDICT_HEADING = "**Promotion:**"
API_PORT_NOTE = "the router (`shopstream serve`, port 8001 by default)"


@dataclass(frozen=True)
class TrainingData:
    """The data one training run read: batches of the object store, or a local events file."""

    kind: str  # "batches" or "file"
    batches: str  # "A-B" (for a file: the row blocks of batch_size rows it covers)
    date_from: str  # first event's day, YYYY-MM-DD (UTC)
    date_to: str  # last event's day
    rows: int | None = None  # events read (after the date filter)
    file: str = ""  # the events file's name (kind "file")
    location: str = ""  # where the batches live (s3://bucket/prefix) or the file's path

    @property
    def label(self) -> str:
        """Short: ``batches 1-50`` or ``events.csv 2015-05-03..2015-06-01``."""
        if self.kind == "file":
            return f"{self.file} {self.date_from}..{self.date_to}"
        return f"batches {self.batches}"

    def sentence(self) -> str:
        """One line for a version's description."""
        where = f"batches {self.batches}" if self.kind != "file" else f"`{self.file}`"
        if self.location:
            where += f" of `{self.location}`" if self.kind != "file" else f" (`{self.location}`)"
        rows = f", {self.rows:,} events" if self.rows is not None else ""
        return f"Trained on {where}: {self.date_from} to {self.date_to}{rows}."

    def tags(self) -> dict[str, str]:
        """What a person filters versions on: the data range and where it came from."""
        return {"batches": self.batches, "date_from": self.date_from, "date_to": self.date_to,
                "data_source": self.file if self.kind == "file" else "batches"}


def run_name(model: str, data: TrainingData) -> str:
    """``recommender · batches 1-50`` or ``recommender · events.csv 2015-05-03..2015-06-01``."""
    return f"{model} · {data.label}"


def model_description(spec: ModelSpec) -> str:
    """The registered model's description: what it predicts, where it is served, how a version
    becomes the served one."""
    direction = "higher" if spec.higher_is_better else "lower"
    return (f"**Predicts:** {spec.description}\n\n"
            f"**API route:** `{spec.route}`, served by {API_PORT_NOTE} from the version with "
            f"the alias `production`.\n\n"
            f"**Promotion metric:** `{spec.main_metric}` ({direction} is better), scored for the "
            f"candidate and the champion on the candidate's held-out period.")


def fmt(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a" if value is None else str(value)
    if not math.isfinite(float(value)):
        return "n/a"
    return f"{float(value):.4g}"


def metric_sentence(spec: ModelSpec, metrics: Mapping[str, Any]) -> str:
    """The headline metric beside each baseline the run logged, with the lift over the best."""
    main = metrics.get(spec.main_metric)
    head = f"`{spec.main_metric}` **{fmt(main)}** on the held-out period"
    if not spec.baselines:
        return f"{head} (this model has no baseline)."
    logged = {b: metrics[b] for b in spec.baselines if _finite(metrics.get(b))}
    if not logged:
        return f"{head}; no baseline was logged."
    beside = ", ".join(f"`{b}` {fmt(v)}" for b, v in logged.items())
    best = (max if spec.higher_is_better else min)(float(v) for v in logged.values())
    lift = (f"; lift over the best baseline {float(main) - best:+.4g}"
            if isinstance(main, int | float) and _finite(main) else "")
    return f"{head}; baselines: {beside}{lift}."


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(float(value))


def version_description(spec: ModelSpec, data: TrainingData, metrics: Mapping[str, Any],
                        run_link: str, git_commit: str) -> str:
    return (f"{data.sentence()}\n\n"
            f"{metric_sentence(spec, metrics)}\n\n"
            f"Training run: [{run_name(spec.name, data)}]({run_link}) · code `{git_commit}`\n\n"
            f"{VERDICT_HEADING} pending.")


def with_verdict(description: str, verdict: str) -> str:
    """The description with its promotion section (the last one) set to `verdict`."""
    kept = description.split(VERDICT_HEADING, 1)[0].rstrip()
    return f"{kept}\n\n{VERDICT_HEADING} {verdict}" if kept else f"{VERDICT_HEADING} {verdict}"


@dataclass(frozen=True)
class Verdict:
    """A promotion decision's fields that the verdict sentence needs."""

    decision: str
    metric: str
    candidate: str
    champion: str | None
    candidate_score: float | None
    champion_score: float | None
    basis: str
    refusal: str | None = None
    validation: str = ""  # the validation gate's summary
    data_shift: str = ""  # a shift above the limit, in words


def verdict_reason(v: Verdict) -> str:
    """Why the alias moved or stayed, in one sentence."""
    scores = (f"`{v.metric}` {fmt(v.candidate_score)} against champion v{v.champion}'s "
              f"{fmt(v.champion_score)}")
    owner = v.basis.removeprefix("rescored-on-v").removesuffix("-holdout")
    where = {"logged-metric": "as logged by the training runs (no holdout to rescore)"}.get(
        v.basis, f"on v{owner}'s held-out period" if v.basis.startswith("rescored")
        else v.basis)
    reasons = {
        "first-version": f"the first version, nothing to compare with (`{v.metric}` "
                         f"{fmt(v.candidate_score)} as logged)",
        "already-production": "it already holds the alias",
        "rejected-gate": f"the model's gate refused it: {v.refusal or 'no reason given'}",
        "promoted": f"not worse: {scores} {where}",
        "rejected-validation": f"{scores} {where}" if v.champion else
                               f"`{v.metric}` {fmt(v.candidate_score)} as logged",
        "forced": f"forced by hand: {scores} {where}",
    }
    parts = [reasons.get(v.decision, v.decision)]
    if v.validation and v.decision not in {"already-production", "rejected-gate"}:
        parts.append(v.validation)
    if v.data_shift:
        parts.append(v.data_shift)
    return "; ".join(parts)


def verdict_sentence(v: Verdict) -> str:
    moved = v.decision in {"first-version", "promoted", "forced", "already-production"}
    head = "**production**" if moved else "**not promoted**"
    return f"{head} ({v.decision}): {verdict_reason(v)}."
