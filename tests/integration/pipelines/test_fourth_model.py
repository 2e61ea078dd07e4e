"""docs/architecture.md's "how to add a model", done: a toy fourth model package plus one
registry entry trains, logs, registers (model_type tag), promotes and re-scores through the
same lifecycle, and shows up in the CLI's options and in MLproject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopstream import contracts
from shopstream.settings import Settings
from tests.conftest import unique
from tests.integration.pipelines.toy_popularity.spec import SPEC as TOY

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture
def with_toy(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.models import registry

    monkeypatch.setattr(registry, "SPECS", (*registry.SPECS, TOY))  # the one registry line


def test_a_fourth_model_goes_through_the_same_machinery(
        with_toy: None, spark: Any, live_stack: Settings, small_events_file: Path) -> None:
    from pipelines.data.selection import DataSelection
    from pipelines.lifecycle.options import build_options, model_params
    from pipelines.lifecycle.promotion import promote
    from pipelines.lifecycle.tracking import client
    from pipelines.lifecycle.train import train_models
    from pipelines.mlproject import render

    assert "top_n" in model_params()
    assert "train_toy_popularity:" in render() and "--top-n {top_n}" in render()
    prefix = f"{unique('toy')}-"
    settings = live_stack.model_copy(update={"experiment_name": unique("test-toy")})
    options = build_options([TOY.name], DataSelection(events_file=small_events_file),
                            {"top_n": 3}, name_prefix=prefix)
    first = train_models(settings, options, spark=spark)["models"][TOY.name]
    second = train_models(settings, options, spark=spark)["models"][TOY.name]
    name = f"{prefix}{TOY.name}"
    mlflow_client = client(settings)
    version = mlflow_client.get_model_version(name, second["version"])
    assert version.tags[contracts.MODEL_TYPE_TAG] == TOY.name
    assert first["promoted"] and second["promoted"]
    assert version.tags["promotion_basis"] == f"rescored-on-v{second['version']}-holdout"
    assert float(version.tags["promotion_candidate_score"]) == pytest.approx(
        second["metrics"]["top_share"], rel=1e-6)
    decision = promote(settings, name, first["version"])
    assert decision.metric == "top_share" and decision.candidate_score is not None
