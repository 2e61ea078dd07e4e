"""The served toy model: the top items, whatever the request (numpy/pandas/mlflow only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel

ARTIFACT = "top_items"


class TopItemsModel(PythonModel):
    def __init__(self) -> None:
        self.items: list[int] = []

    def load_context(self, context: Any) -> None:
        self.items = json.loads(Path(context.artifacts[ARTIFACT]).read_text())

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        del context, params
        return pd.DataFrame({"items": [json.dumps(self.items)] * len(model_input)})
