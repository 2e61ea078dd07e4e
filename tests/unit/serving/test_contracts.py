"""The fakes the router tests run against, and the real models, speak the same contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopstream.contracts import MODEL_IO
from tests.unit.serving.conftest import FAKES, check_contract

pytestmark = pytest.mark.unit


def test_real_model_signatures_are_the_contract(tmp_path: Path) -> None:
    import mlflow.models

    from serving.sample_models import BUILDERS

    for role, build in BUILDERS.items():
        signature = mlflow.models.get_model_info(str(build(tmp_path / role))).signature
        assert signature is not None
        io = MODEL_IO[role]
        inputs = [c.name for c in signature.inputs.inputs]
        assert inputs[:len(io.inputs)] == list(io.input_names), role
        assert [c.name for c in signature.outputs.inputs] == list(io.output_names), role


def test_every_fake_answers_in_the_contract() -> None:
    from serving.scoring import SAMPLE_ROWS

    for role, fake in FAKES.items():
        check_contract(role, SAMPLE_ROWS[role], fake(dict(SAMPLE_ROWS[role])))


def test_a_fake_refuses_a_row_the_model_would_refuse() -> None:
    with pytest.raises(AssertionError, match="without"):
        check_contract("transaction_predictor", {"num_views": 1}, {})
