"""The models shopstream trains, in training order. Adding a model: one package with a spec,
and one line here."""

from __future__ import annotations

from pipelines.errors import PipelinesError
from pipelines.models.recommender.spec import SPEC as RECOMMENDER
from pipelines.models.spec import ModelSpec
from pipelines.models.transaction_predictor.spec import SPEC as TRANSACTION_PREDICTOR
from pipelines.models.user_segmentation.spec import SPEC as USER_SEGMENTATION

SPECS: tuple[ModelSpec, ...] = (RECOMMENDER, TRANSACTION_PREDICTOR, USER_SEGMENTATION)


def names() -> tuple[str, ...]:
    return tuple(s.name for s in SPECS)


def spec_of(name: str) -> ModelSpec:
    """The spec of a model type (the ``model_type`` tag of a registered version)."""
    for spec in SPECS:
        if spec.name == name:
            return spec
    msg = f"unknown model {name!r}; choose from {', '.join(names())}"
    raise PipelinesError(msg)
