"""ModelSpec: everything the lifecycle, the CLI, MLproject and promotion know about one model.

A model package fills in one spec (its ``spec.py``) and the registry lists it; nothing else
names a model. The spec is cheap to import: training, logging and scoring are reached through
functions that import their Spark or MLflow code when called.

Parameters are a frozen dataclass per model. A field whose metadata has ``help`` is public: it
becomes a ``shopstream train`` option and an MLproject parameter of the same name (tuples are
comma-separated on the command line). Fields shared by several models (``seed``, ``eval_days``)
are one option that sets them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin, get_type_hints

from shopstream.settings import ValidationThresholds

if TYPE_CHECKING:
    from pipelines.data.selection import LoadedEvents
    from shopstream.contracts import ModelIO


@dataclass
class TrainedModel:
    """What a model's run returns once it has logged everything: the pyfunc to register and
    the run's metrics (``json_extra`` goes to the CLI's JSON beside the picked metrics)."""

    model_uri: str
    metrics: dict[str, Any]
    json_extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    """One model, declared once (see the module docstring)."""

    name: str  # the registered name (before any prefix) and the model_type tag
    description: str  # what it predicts: the registered model's description
    route: str  # the API route that serves it
    params_type: type  # frozen dataclass of its parameters
    train: Callable[[LoadedEvents, Any], TrainedModel]  # fit, evaluate, log into the active run
    holdout_file: str  # the evaluation rows its run logs under holdout/
    score_holdout: Callable[[str, Path], float | None]  # (model URI, holdout file) → main metric
    main_metric: str
    io: ModelIO  # request/response columns (shopstream.contracts.MODEL_IO)
    json_metrics: tuple[str, ...]  # metrics `shopstream train --json` reports
    higher_is_better: bool = True
    # Run metrics of the baselines scored on the same held-out rows as main_metric: the
    # version's description shows the headline metric beside them.
    baselines: tuple[str, ...] = ()
    original_batches: str = ""  # the original project's training slice of this model
    # The promotion rule: the validation gate's thresholds for this model (settings may
    # override each field: Settings.validation_thresholds). Default: not worse than the champion.
    validation: ValidationThresholds = field(default_factory=ValidationThresholds)
    # (run metrics, params) → why the version must not be promoted, or None.
    promotion_gate: Callable[[dict[str, Any], Any], str | None] | None = None

    def default_params(self) -> Any:
        return self.params_type()

    def params_from(self, values: Mapping[str, Any]) -> Any:
        """Its params with the public fields present in `values` replaced."""
        given = {p.field: values[p.name] for p in public_params(self.params_type)
                 if p.name in values}
        return dataclasses.replace(self.default_params(), **given)

    def refusal(self, metrics: dict[str, Any], params: Any) -> str | None:
        return self.promotion_gate(metrics, params) if self.promotion_gate else None


@dataclass(frozen=True)
class PublicParam:
    """One public parameter: its name, Python type, default and help text."""

    name: str  # the option / MLproject parameter name
    field: str  # the params dataclass field it sets
    kind: type  # int, float, str, bool; for tuples the element type
    default: Any
    help: str
    is_tuple: bool = False

    def parse(self, text: str) -> Any:
        """A command-line / MLproject value → the typed value (tuples: comma-separated)."""
        if self.is_tuple:
            return tuple(self.kind(v) for v in text.split(",") if v.strip())
        if self.kind is bool:
            return parse_bool(text)
        return self.kind(text)

    def text(self, value: Any) -> str:
        if self.is_tuple:
            return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return f"{value:g}" if isinstance(value, float) else str(value)


def public_params(params_type: type) -> list[PublicParam]:
    """The fields of a params dataclass marked public (metadata ``help``), in field order."""
    hints = get_type_hints(params_type)
    out = []
    for f in dataclasses.fields(params_type):
        if "help" not in f.metadata:
            continue
        hint = hints[f.name]
        is_tuple = get_origin(hint) is tuple
        kind = get_args(hint)[0] if is_tuple else hint
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        out.append(PublicParam(f.metadata.get("cli", f.name), f.name, kind, default,
                               f.metadata["help"], is_tuple))
    return out


def public(default: Any, help_text: str, cli: str | None = None) -> Any:
    """A public params field (see the module docstring); `cli` names its option when the
    field's own name would be ambiguous beside other models' (``ranks`` → ``als_ranks``)."""
    metadata = {"help": help_text, **({"cli": cli} if cli else {})}
    return field(default=default, metadata=metadata)


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"true", "1", "yes", "on"}:
        return True
    if value in {"false", "0", "no", "off"}:
        return False
    msg = f"expected true or false, got {text!r}"
    raise ValueError(msg)
