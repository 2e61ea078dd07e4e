"""CLI / MLproject option parsing and data selection (no Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.data import ORIGINAL_RANGES, DataSelection, parse_range
from pipelines.errors import PipelinesError
from pipelines.train import MODELS, ModelOutcome, run_each
from pipelines.train_options import events_path, flag, split_models

pytestmark = pytest.mark.unit


def test_flags_from_mlproject_text() -> None:
    assert flag("true", False) is True
    assert flag("False", True) is False
    assert flag("", True) is True
    with pytest.raises(PipelinesError):
        flag("maybe", False)


def test_models_and_events_file() -> None:
    assert split_models(None) == MODELS
    assert split_models(["all"]) == MODELS
    assert split_models(["recommender,user_segmentation"]) == ("recommender", "user_segmentation")
    with pytest.raises(PipelinesError, match="unknown model"):
        split_models(["recomender"])
    assert events_path("") is None
    assert events_path(Path("x.csv")) == Path("x.csv")


def test_batch_ranges_and_original_slices() -> None:
    assert parse_range("1-50") == (1, 50)
    assert parse_range("7") == (7, 7)
    assert parse_range(None) is None
    with pytest.raises(PipelinesError):
        parse_range("50-1")
    base = DataSelection()
    assert base.for_model("transaction_predictor", original_ranges=True).batches == "51-100"
    assert base.for_model("recommender", original_ranges=False).batches is None
    assert ORIGINAL_RANGES["user_segmentation"] == "101-150"


def test_json_payload_keeps_the_documented_fields() -> None:
    outcome = ModelOutcome("r1", "3", True, {"k": 4.0, "silhouette": 0.5, "sizes": [1, 2],
                                            "extra": 1.0})
    payload = outcome.to_json("user_segmentation")
    assert payload == {"run_id": "r1", "version": "3", "promoted": True,
                       "metrics": {"k": 4, "silhouette": 0.5, "sizes": [1, 2]}}


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
