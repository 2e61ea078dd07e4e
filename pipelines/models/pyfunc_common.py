"""Helpers shared by the JVM-free pyfunc models: signatures, artifact saving, input checks.

Pure numpy/pandas; mlflow is imported inside the functions that need it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipelines.errors import ModelInputError

if TYPE_CHECKING:
    from mlflow.models import ModelSignature
    from mlflow.pyfunc import PythonModel


def parse_id_list(text: Any) -> list[int]:
    """A JSON list of item ids (as sent in the `items` column) → list of int; "" / None → []."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    if isinstance(text, list | tuple | np.ndarray):
        return [int(v) for v in text]
    stripped = str(text).strip()
    if not stripped:
        return []
    try:
        values = json.loads(stripped)
    except json.JSONDecodeError as e:
        msg = f"`items` must be a JSON list of item ids like \"[1, 2]\", got {stripped!r}"
        raise ModelInputError(msg) from e
    if not isinstance(values, list):
        msg = f"`items` must be a JSON list of item ids like \"[1, 2]\", got {stripped!r}"
        raise ModelInputError(msg)
    return [int(v) for v in values]


def require_columns(frame: pd.DataFrame, names: Sequence[str], model: str) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        msg = f"{model} input lacks column(s) {missing}; send them (see docs/contracts.md)"
        raise ModelInputError(msg)


def schema_signature(
    inputs: Sequence[tuple[str, str, bool]], outputs: Sequence[tuple[str, str]]
) -> ModelSignature:
    """A signature from (name, mlflow type, required) inputs and (name, type) outputs."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec(t, n, required=r) for n, t, r in inputs]),
        outputs=Schema([ColSpec(t, n) for n, t in outputs]),
    )


def write_json(path: Path, payload: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(payload, indent=1, default=_json_default))
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    msg = f"not JSON-serialisable: {type(value).__name__}"
    raise TypeError(msg)


def save_pyfunc(
    path: str | Path,
    python_model: PythonModel,
    write_artifacts: Any,
    signature: ModelSignature,
    input_example: pd.DataFrame,
) -> Path:
    """mlflow.pyfunc.save_model with the artifact files `write_artifacts(dir)` returns."""
    import mlflow.pyfunc

    target = Path(path)
    with tempfile.TemporaryDirectory(prefix="shopstream-pyfunc-") as tmp:
        artifacts: dict[str, str] = {k: str(v) for k, v in write_artifacts(Path(tmp)).items()}
        mlflow.pyfunc.save_model(
            str(target),
            python_model=python_model,
            artifacts=artifacts,
            signature=signature,
            input_example=input_example,
            pip_requirements=pyfunc_requirements(),
        )
    return target


def log_pyfunc(
    name: str,
    python_model: PythonModel,
    write_artifacts: Any,
    signature: ModelSignature,
    input_example: pd.DataFrame,
) -> str:
    """mlflow.pyfunc.log_model into the active run; returns the logged model's URI."""
    import mlflow.pyfunc

    with tempfile.TemporaryDirectory(prefix="shopstream-pyfunc-") as tmp:
        artifacts: dict[str, str] = {k: str(v) for k, v in write_artifacts(Path(tmp)).items()}
        info = mlflow.pyfunc.log_model(
            name=name,
            python_model=python_model,
            artifacts=artifacts,
            signature=signature,
            input_example=input_example,
            pip_requirements=pyfunc_requirements(),
        )
    return str(info.model_uri)


def pyfunc_requirements() -> list[str]:
    """What the JVM-free models need (given, so mlflow does not reload the model to infer)."""
    from importlib.metadata import version

    return [f"mlflow=={version('mlflow')}", f"numpy=={version('numpy')}",
            f"pandas=={version('pandas')}", f"scikit-learn=={version('scikit-learn')}"]


SCORING_SERVER_ENV = "SHOPSTREAM_SCORING_SERVER"  # set by `shopstream serve` for its servers


def settle_gc() -> None:
    """In a scoring server, settle the GC once the model is loaded (see
    :func:`shopstream.gc_tuning.settle_for_serving`). Elsewhere (training, promotion, tests)
    it does nothing: those processes keep creating and dropping large objects. Called at the
    end of load_context."""
    import os

    if os.environ.get(SCORING_SERVER_ENV) == "1":
        from shopstream.gc_tuning import settle_for_serving

        settle_for_serving()
