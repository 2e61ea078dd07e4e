"""What a served model's code may import besides numpy, pandas and mlflow: input checks,
JSON helpers and GC settling.

The pyfunc modules of ``pipelines/models/<model>/`` travel with every registered version (MLflow
"models from code") and import only this module, :mod:`shopstream.contracts`,
:mod:`shopstream.errors` and their own package, so a version keeps loading after the training
code moves. Pure numpy/pandas at import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopstream.contracts import SCORING_SERVER_ENV
from shopstream.errors import ModelInputError


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




def settle_gc() -> None:
    """In a scoring server, settle the GC once the model is loaded (see
    :func:`shopstream.gc_tuning.settle_for_serving`). Elsewhere (training, promotion, tests)
    it does nothing: those processes keep creating and dropping large objects. Called at the
    end of load_context."""
    if os.environ.get(SCORING_SERVER_ENV) == "1":
        from shopstream.gc_tuning import settle_for_serving

        settle_for_serving()


def field_matrix(rows: Sequence[Any], names: Sequence[str]) -> np.ndarray:
    """(len(rows), len(names)) float64 of the named fields of request rows (pydantic objects
    or anything with those attributes); a missing field or None is NaN."""
    return np.array([[getattr(row, name, None) for name in names] for row in rows],
                    dtype=np.float64).reshape(len(rows), len(names))
