"""Promotion against the live MLflow registry: never promotes a worse model without force,
never loses a version, records both scores."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.data.profile import DataProfile
from pipelines.lifecycle.runs import CUTOFF_PARAM
from shopstream.contracts import ITEMID, MODEL_TYPE_TAG, TRANSACTION_PREDICTOR
from shopstream.settings import Settings, ValidationThresholds
from tests.conftest import unique

FEATURES = ["num_views", "num_addtocart", "distinct_items_interacted"]


def _holdout() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    carts = rng.integers(0, 2, size=400)
    return pd.DataFrame({"num_views": rng.integers(1, 9, size=400), "num_addtocart": carts,
                         "distinct_items_interacted": rng.integers(1, 5, size=400),
                         "label": carts})


def _register(settings: Settings, name: str, low: float, high: float,
              window: DataProfile | None = None, baseline: float | None = None,
              cutoff: int | None = None) -> str:
    import mlflow

    from pipelines.lifecycle.tracking import register_version
    from pipelines.models.transaction_predictor.pyfunc import (
        TransactionMeta,
        log_transaction_arrays,
        stump_ensemble,
    )

    meta = TransactionMeta("rf", FEATURES, [1.0, 0.0, 1.0], 0.5, FEATURES)
    with mlflow.start_run() as run:
        mlflow.log_metric("pr_auc", high)  # what a first version's verdict quotes
        uri = log_transaction_arrays(stump_ensemble(1, 0.5, low, high), meta)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "predictor_holdout.parquet"
            _holdout().to_parquet(path)
            mlflow.log_artifact(str(path), "holdout")
            if window is not None:  # as training's data report logs it
                window.save(Path(tmp) / "data_report")
                mlflow.log_artifacts(str(Path(tmp) / "data_report"), "data_report")
        if baseline is not None:
            mlflow.log_metric("cart_only_pr_auc", baseline)
        if cutoff is not None:
            mlflow.log_param(CUTOFF_PARAM, cutoff)
    return register_version(settings, uri, name, run.info.run_id,
                            {MODEL_TYPE_TAG: TRANSACTION_PREDICTOR}, "Registered by the test.")


def test_worse_model_stays_registered_but_unpromoted(live_stack: Settings) -> None:
    import mlflow

    from pipelines.lifecycle.promotion import champion_version, promote
    from pipelines.lifecycle.tracking import client, configure
    from shopstream.contracts import PRODUCTION_ALIAS as ALIAS

    settings = live_stack.model_copy(update={"experiment_name": unique("test-promotion")})
    configure(settings)
    mlflow.set_experiment(settings.experiment_name)
    name = f"{unique('t')}-transaction_predictor"
    bad = _register(settings, name, 0.9, 0.1)  # predicts the opposite of the label
    first = promote(settings, name, bad)
    assert first.decision == "first-version" and first.candidate_score == 0.1  # the run's
    good = _register(settings, name, 0.1, 0.9)
    decision = promote(settings, name, good)
    assert decision.promoted and decision.basis.startswith("rescored")
    assert decision.candidate_score is not None and decision.champion_score is not None
    assert decision.candidate_score > decision.champion_score
    worse = _register(settings, name, 0.9, 0.1)
    rejected = promote(settings, name, worse)
    assert not rejected.promoted and rejected.decision == "rejected-validation"
    assert champion_version(settings, name) == good
    recorded = client(settings).get_model_version(name, worse)
    tags = recorded.tags
    assert tags["promotion_decision"] == "rejected-validation"
    assert tags["promotion_reason"] == rejected.reason
    assert "validation failed: change_vs_champion" in rejected.reason
    assert tags["validation_result"] == "failed"
    assert json.loads(tags["validation_thresholds"])["max_drop_vs_champion"] == 0
    assert float(tags["promotion_champion_score"]) > float(tags["promotion_candidate_score"])
    assert "pr_auc" not in tags, "metrics stay on the run"
    assert recorded.description.startswith("Registered by the test.")
    assert recorded.description.endswith(
        f"**not promoted** (rejected-validation): {rejected.reason}.")
    assert rejected.version_url.endswith(f"/versions/{worse}?workflowType=machine_learning")
    forced = promote(settings, name, worse, force=True)
    assert forced.promoted
    description = client(settings).get_model_version(name, worse).description
    assert description.count("**Promotion:**") == 1 and "(forced)" in description
    assert client(settings).get_model_version_by_alias(name, ALIAS).version == worse
    versions = client(settings).search_model_versions(f"name = '{name}'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3]


def _window(views: int, carts: int, buys: int, items: dict[int, int]) -> DataProfile:
    return DataProfile(rows=views + carts + buys, visitors=50, items=len(items),
                       events={"view": views, "addtocart": carts, "transaction": buys},
                       first_ts=1_430_000_000_000, last_ts=1_431_000_000_000,
                       days={"2015-04-26": views + carts + buys}, timestamps_out_of_range=0,
                       item_counts=pd.DataFrame({ITEMID: list(items),
                                                 "count": list(items.values())}))


def test_dry_run_thresholds_and_a_data_shift_in_the_verdict(live_stack: Settings) -> None:
    import mlflow
    from typer.testing import CliRunner

    from pipelines.lifecycle.promotion import champion_version, promote
    from pipelines.lifecycle.tracking import client, configure
    from shopstream.cli import app

    settings = live_stack.model_copy(update={"experiment_name": unique("test-gate")})
    configure(settings)
    mlflow.set_experiment(settings.experiment_name)
    name = f"{unique('g')}-transaction_predictor"
    first = _register(settings, name, 0.1, 0.9, _window(900, 70, 30, {1: 500, 2: 300, 3: 200}),
                      baseline=0.5)
    assert promote(settings, name, first).decision == "first-version"
    shifted = _window(600, 250, 150, {7: 600, 8: 300, 1: 100})  # new mix, new catalogue
    second = _register(settings, name, 0.1, 0.9, shifted, baseline=0.5)
    strict = settings.model_copy(update={"validation_thresholds": {
        TRANSACTION_PREDICTOR: ValidationThresholds(min_lift_over_baseline=5.0)}})
    dry = promote(strict, name, second, dry_run=True)
    assert dry.dry_run and not dry.promoted and dry.decision == "rejected-validation"
    assert "lift_over_best_baseline" in dry.reason
    assert dry.validation["thresholds"]["min_lift_over_baseline"] == 5.0
    assert dry.data_shift.startswith(f"data shift against v{first}'s training window")
    assert "event-mix PSI" in dry.data_shift and "item-popularity PSI" in dry.data_shift
    assert champion_version(settings, name) == first, "a dry run moves nothing"
    assert "promotion_decision" not in client(settings).get_model_version(name, second).tags

    cli = CliRunner().invoke(app, ["promote", name, "--version", second, "--dry-run"],
                             env={"SHOPSTREAM_MLFLOW_TRACKING_URI": settings.tracking_uri})
    assert cli.exit_code == 0, cli.output
    assert "dry run" in cli.stdout and "max_drop_vs_champion=0.0" in cli.stdout
    assert f"would move to v{second}" in cli.stdout
    assert champion_version(settings, name) == first

    real = promote(settings, name, second)  # default thresholds: the same model passes
    assert real.promoted and real.decision == "promoted"
    tags = client(settings).get_model_version(name, second).tags
    assert tags["data_shift"] == real.data_shift and "event-mix PSI" in real.data_shift
    assert real.data_shift in client(settings).get_model_version(name, second).description


def test_both_versions_are_scored_on_the_holdout_neither_trained_on(live_stack: Settings) -> None:
    """A candidate trained on older batches than the champion is scored, with the champion,
    on the champion's held-out period: the champion trained on the candidate's."""
    import mlflow

    from pipelines.lifecycle.promotion import promote
    from pipelines.lifecycle.tracking import configure

    settings = live_stack.model_copy(update={"experiment_name": unique("test-fair")})
    configure(settings)
    mlflow.set_experiment(settings.experiment_name)
    name = f"{unique('f')}-transaction_predictor"
    champion = _register(settings, name, 0.1, 0.9, cutoff=2_000)
    assert promote(settings, name, champion).promoted
    older = _register(settings, name, 0.1, 0.9, cutoff=1_000)
    on_champions = promote(settings, name, older, dry_run=True)
    assert on_champions.basis == f"rescored-on-v{champion}-holdout"
    assert f"on v{champion}'s held-out period" in on_champions.reason
    newer = _register(settings, name, 0.1, 0.9, cutoff=3_000)
    assert promote(settings, name, newer, dry_run=True).basis == f"rescored-on-v{newer}-holdout"
