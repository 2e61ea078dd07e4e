"""Promotion against the live MLflow registry: never promotes a worse model without force,
never loses a version, records both scores."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from shopstream.contracts import MODEL_TYPE_TAG, TRANSACTION_PREDICTOR
from shopstream.settings import Settings
from tests.conftest import unique

FEATURES = ["num_views", "num_addtocart", "distinct_items_interacted"]


def _holdout() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    carts = rng.integers(0, 2, size=400)
    return pd.DataFrame({"num_views": rng.integers(1, 9, size=400), "num_addtocart": carts,
                         "distinct_items_interacted": rng.integers(1, 5, size=400),
                         "label": carts})


def _register(settings: Settings, name: str, low: float, high: float) -> str:
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
    assert not rejected.promoted and rejected.decision == "rejected-worse"
    assert champion_version(settings, name) == good
    recorded = client(settings).get_model_version(name, worse)
    tags = recorded.tags
    assert tags["promotion_decision"] == "rejected-worse"
    assert tags["promotion_reason"] == rejected.reason and rejected.reason.startswith("worse")
    assert float(tags["promotion_champion_score"]) > float(tags["promotion_candidate_score"])
    assert "pr_auc" not in tags, "metrics stay on the run"
    assert recorded.description.startswith("Registered by the test.")
    assert recorded.description.endswith(f"**not promoted** (rejected-worse): {rejected.reason}.")
    assert rejected.version_url.endswith(f"/versions/{worse}?workflowType=machine_learning")
    forced = promote(settings, name, worse, force=True)
    assert forced.promoted
    description = client(settings).get_model_version(name, worse).description
    assert description.count("**Promotion:**") == 1 and "(forced)" in description
    assert client(settings).get_model_version_by_alias(name, ALIAS).version == worse
    versions = client(settings).search_model_versions(f"name = '{name}'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3]
