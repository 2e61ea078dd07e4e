"""The typed options of a training run, built the same way for `shopstream train`, the module
entry ``python -m pipelines train`` (MLproject) and tests.

Model parameters come from each spec's params dataclass (see :mod:`pipelines.models.spec`);
the public ones are collected here once, by name, across the registered models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipelines.data.selection import DataSelection, parse_day, parse_range
from pipelines.errors import PipelinesError
from pipelines.models import registry
from pipelines.models.spec import ModelSpec, PublicParam, public_params


@dataclass(frozen=True)
class TrainOptions:
    models: tuple[str, ...] = field(default_factory=registry.names)
    selection: DataSelection = field(default_factory=DataSelection)
    # model name → its params dataclass; a model not named here trains with its defaults.
    params: Mapping[str, Any] = field(default_factory=dict)
    original_ranges: bool = False
    name_prefix: str = ""
    promote: bool = True
    original_recipe: bool = False
    # The models train in parallel threads on the one SparkSession: each has long driver-side
    # stretches (numpy, plots, uploads, registry calls) that leave the cores to the others.
    parallel: bool = True

    @property
    def specs(self) -> tuple[ModelSpec, ...]:
        return tuple(registry.spec_of(m) for m in self.models)

    def params_of(self, spec: ModelSpec) -> Any:
        return self.params.get(spec.name) or spec.default_params()

    def registered_name(self, spec: ModelSpec) -> str:
        return f"{self.name_prefix}{spec.name}"

    def selection_for(self, spec: ModelSpec) -> DataSelection:
        """The selection one model trains on (the original's batch slice with the flag)."""
        if self.original_ranges and spec.original_batches:
            return replace(self.selection, batches=spec.original_batches)
        return self.selection


def model_params() -> dict[str, PublicParam]:
    """Every public model parameter by name, across the registered models. A name shared by
    several models (seed, eval_days) must mean the same thing: same type and default."""
    out: dict[str, PublicParam] = {}
    for spec in registry.SPECS:
        for param in public_params(spec.params_type):
            known = out.get(param.name)
            if known is not None and (known.kind, known.default, known.is_tuple) != (
                    param.kind, param.default, param.is_tuple):
                msg = (f"parameter {param.name!r} differs between models ({known} vs {param}); "
                       "give one of them another `cli` name in its params dataclass")
                raise PipelinesError(msg)
            out.setdefault(param.name, param)
    return out


def params_for(specs: Iterable[ModelSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """Each spec's params with the given public values (by public name) applied."""
    return {spec.name: spec.params_from(values) for spec in specs}


def split_models(values: Iterable[str] | None) -> tuple[str, ...]:
    """--models values (repeated or comma-separated; empty or "all" = every model)."""
    names = [v.strip() for item in values or [] for v in item.split(",") if v.strip()]
    if not names or names == ["all"]:
        return registry.names()
    for name in names:
        registry.spec_of(name)  # raises naming the known models
    return tuple(names)


def events_path(value: Path | str | None) -> Path | None:
    """An --events-file value; "" (MLproject's default) means none."""
    if value is None or str(value) in {"", "."}:
        return None
    return Path(value)


def selection_from(batches: str | None, date_from: str | None, date_to: str | None,
                   events_file: Path | str | None) -> DataSelection:
    """The data selection from plain option values (empty strings mean "not given")."""
    parse_range(batches)
    return DataSelection(batches=batches or None, date_from=parse_day(date_from),
                         date_to=parse_day(date_to), events_file=events_path(events_file))


def build_options(models: Iterable[str] | None, selection: DataSelection,
                  values: Mapping[str, Any], **flags: Any) -> TrainOptions:
    """TrainOptions from model names, a selection, public parameter values and the run flags
    (original_ranges, name_prefix, promote, original_recipe, parallel)."""
    chosen = split_models(models)
    return TrainOptions(models=chosen, selection=selection,
                        params=params_for((registry.spec_of(m) for m in chosen), values),
                        **flags)
