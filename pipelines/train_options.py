"""CLI flag values → :class:`TrainOptions` (shared by `shopstream train` and MLproject)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pipelines.data import DataSelection, parse_day, parse_range
from pipelines.errors import PipelinesError
from pipelines.recommender import RecommenderParams
from pipelines.train import MODELS, TrainOptions, check_models
from pipelines.transaction_predictor import PredictorParams
from pipelines.user_segmentation import SegmentationParams


def flag(value: str, default: bool) -> bool:
    """MLproject passes booleans as text: "true"/"false" (empty → the flag's own value)."""
    text = value.strip().lower()
    if not text:
        return default
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    msg = f"expected true or false, got {value!r}"
    raise PipelinesError(msg)


def events_path(value: Path | str | None) -> Path | None:
    """An --events-file value; "" (MLproject's default) means none."""
    if value is None or str(value) in {"", "."}:
        return None
    return Path(value)


def split_models(values: list[str] | None) -> tuple[str, ...]:
    names = [v.strip() for item in values or [] for v in item.split(",") if v.strip()]
    if not names or names == ["all"]:
        return MODELS
    return check_models(tuple(names))


def build_options(
    models: list[str] | None, batches: str | None, date_from: str | None, date_to: str | None,
    events_file: Path | None, original_ranges: bool, name_prefix: str, promote: bool,
    original_recipe: bool, recommender: dict[str, Any], predictor: dict[str, Any],
    segmentation: dict[str, Any], parallel: bool = True,
) -> TrainOptions:
    parse_range(batches)
    selection = DataSelection(batches=batches or None, date_from=parse_day(date_from),
                              date_to=parse_day(date_to),
                              events_file=events_path(events_file))
    return TrainOptions(
        models=split_models(models), selection=selection, original_ranges=original_ranges,
        recommender=replace(RecommenderParams(), **recommender),
        predictor=replace(PredictorParams(), **predictor),
        segmentation=replace(SegmentationParams(), **segmentation),
        name_prefix=name_prefix, promote=promote, original_recipe=original_recipe,
        parallel=parallel,
    )
