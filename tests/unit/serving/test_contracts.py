"""The fakes the router tests run against, and the real models, speak the same contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopstream.contracts import (
    CLUSTER_ID,
    DISTINCT_ITEMS,
    FUNNEL_SEGMENT,
    KNOWN,
    MODEL_IO,
    OPTIONAL_SESSION_FEATURES,
    REQUIRED_SESSION_FEATURES,
    SEGMENT,
    SEGMENT_FEATURES,
    TRANSACTION_PREDICTOR,
    USER_SEGMENTATION,
    VISITORID,
    SegmentationRequest,
    TransactionRequest,
)
from tests.unit.serving.conftest import FAKES, check_contract

pytestmark = pytest.mark.unit


def _properties(schema: Any) -> dict[str, str]:
    """{field: MLflow type} of a signature built from `list[<pydantic row>]` type hints."""
    (column,) = schema.inputs
    return {p.name: p.dtype.name for p in column.type.properties}


def test_real_model_signatures_are_the_contract(tmp_path: Path) -> None:
    """Each version's signature is MLflow's reading of the contract's row classes, so MLflow
    validates every request against them and skips its DataFrame parsing."""
    import mlflow.models

    from serving.sample_models import BUILDERS

    for role, build in BUILDERS.items():
        signature = mlflow.models.get_model_info(str(build(tmp_path / role))).signature
        assert signature is not None and signature._is_signature_from_type_hint, role
        io = MODEL_IO[role]
        assert _properties(signature.inputs) == {c.name: c.type for c in io.inputs}, role
        assert _properties(signature.outputs) == {c.name: c.type for c in io.outputs}, role


def test_row_classes_use_the_column_vocabulary() -> None:
    assert set(SegmentationRequest.model_fields) == {VISITORID, *SEGMENT_FEATURES}
    assert set(TransactionRequest.model_fields) == {*REQUIRED_SESSION_FEATURES,
                                                    *OPTIONAL_SESSION_FEATURES}
    assert [c.name for c in MODEL_IO[TRANSACTION_PREDICTOR].inputs if c.required] == list(
        REQUIRED_SESSION_FEATURES)
    assert MODEL_IO[USER_SEGMENTATION].output_names == (
        CLUSTER_ID, SEGMENT, KNOWN, FUNNEL_SEGMENT, *SEGMENT_FEATURES, DISTINCT_ITEMS)


def test_every_fake_answers_in_the_contract() -> None:
    from serving.scoring import SAMPLE_ROWS

    for role, fake in FAKES.items():
        check_contract(role, SAMPLE_ROWS[role], fake(dict(SAMPLE_ROWS[role])))


def test_a_fake_refuses_a_row_the_model_would_refuse() -> None:
    with pytest.raises(AssertionError, match="without"):
        check_contract("transaction_predictor", {"num_views": 1}, {})
