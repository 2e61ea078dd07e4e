"""CLI / MLproject option parsing and data selection (no Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.data.selection import DataSelection, parse_range
from pipelines.errors import PipelinesError
from pipelines.lifecycle.options import (
    TrainOptions,
    build_options,
    events_path,
    model_params,
    selection_from,
    split_models,
)
from pipelines.lifecycle.train import ModelOutcome, run_each
from pipelines.models import registry
from pipelines.models.spec import parse_bool
from shopstream import contracts

pytestmark = pytest.mark.unit
MODELS = registry.names()


def test_booleans_from_mlproject_text() -> None:
    assert parse_bool("true") is True
    assert parse_bool("False") is False
    with pytest.raises(ValueError, match="true or false"):
        parse_bool("maybe")


def test_models_and_events_file() -> None:
    assert split_models(None) == MODELS == contracts.MODEL_NAMES
    assert split_models(["all"]) == MODELS
    assert split_models(["recommender,user_segmentation"]) == ("recommender", "user_segmentation")
    with pytest.raises(PipelinesError, match="unknown model"):
        split_models(["recomender"])
    assert events_path("") is None
    assert events_path(Path("x.csv")) == Path("x.csv")


def test_empty_mlproject_values_mean_not_given() -> None:
    assert selection_from("", "", "", "") == DataSelection()
    with pytest.raises(PipelinesError, match="YYYY-MM-DD"):
        selection_from("", "''", "", "")


def test_batch_ranges_and_original_slices() -> None:
    assert parse_range("1-50") == (1, 50)
    assert parse_range("7") == (7, 7)
    assert parse_range(None) is None
    with pytest.raises(PipelinesError):
        parse_range("50-1")
    options = TrainOptions(original_ranges=True)
    slices = {spec.name: options.selection_for(spec).batches for spec in options.specs}
    assert slices == {"recommender": "1-50", "transaction_predictor": "51-100",
                      "user_segmentation": "101-150"}
    assert TrainOptions().selection_for(registry.spec_of("recommender")).batches is None


def test_public_parameters_reach_every_model_that_has_them() -> None:
    params = model_params()
    assert params["als_ranks"].parse("16,32") == (16, 32)
    options = build_options(None, DataSelection(),
                            {"seed": 7, "als_ranks": (8,), "k_max": 5, "num_trees": 3})
    rec, pred, seg = (options.params_of(s) for s in options.specs)
    assert (rec.seed, pred.seed, seg.seed) == (7, 7, 7)
    assert rec.ranks == (8,) and pred.num_trees == 3 and seg.k_max == 5
    assert rec.max_iter == 6  # untouched fields keep their defaults


def test_json_payload_keeps_the_documented_fields() -> None:
    metrics = {"k": 4.0, "silhouette": 0.5, "ari_min": 0.95, "min_segment_share": 0.02,
               "one_view_share": 0.6, "sizes": [1, 2], "extra": 1.0}
    outcome = ModelOutcome("r1", "3", True, metrics, {"k": 4, "sizes": [1, 2]})
    payload = outcome.to_json(registry.spec_of("user_segmentation"))
    assert payload == {"run_id": "r1", "version": "3", "promoted": True,
                       "metrics": {"k": 4, "silhouette": 0.5, "ari_min": 0.95,
                                   "min_segment_share": 0.02, "one_view_share": 0.6,
                                   "sizes": [1, 2]}}


def _outcome(model: str) -> ModelOutcome:
    return ModelOutcome(run_id=f"run-{model}", version="1", promoted=True, metrics={})


def test_run_each_in_threads_returns_every_model() -> None:
    import threading

    threads: dict[str, str] = {}

    def work(model: str) -> ModelOutcome:
        threads[model] = threading.current_thread().name
        return _outcome(model)

    out = run_each(MODELS, work, parallel=True)
    assert {m: o.run_id for m, o in out.items()} == {m: f"run-{m}" for m in MODELS}
    assert all(name.startswith("train") for name in threads.values())
    sequential: list[str] = []
    run_each(MODELS, lambda m: (sequential.append(m), _outcome(m))[1], parallel=False)
    assert sequential == list(MODELS)


def test_run_each_finishes_the_others_then_raises_the_first_failure() -> None:
    import threading

    finished: list[str] = []
    gate = threading.Event()

    def work(model: str) -> ModelOutcome:
        if model == MODELS[0]:
            raise PipelinesError("first broke")
        if model == MODELS[1]:
            gate.wait(5)  # still running when the first one has failed
            raise PipelinesError("second broke")
        gate.set()
        finished.append(model)
        return _outcome(model)

    with pytest.raises(PipelinesError, match="first broke"):
        run_each(MODELS, work, parallel=True)
    assert finished == [MODELS[2]]
