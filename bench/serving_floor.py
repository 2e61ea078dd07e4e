"""The floor under serving latency, measured in the bench's own process (no HTTP at all).

- numpy: one visitor's ALS top-k over the whole catalogue (item factors @ user factors,
  argpartition, sort of the k best): what any recommender server has to compute at least;
- pyfunc: each production model's own predict() on one request row, without JSON, HTTP or
  the scoring server around it;
- invocations: MLflow's scoring-server function ``invocations`` on the router's one-row body
  (JSON in, parsing or validation, predict, JSON out), without HTTP.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from serving.config import ROLES
from shopstream.contracts import (
    INVOCATIONS_KEY,
    RECOMMENDER,
    TRANSACTION_PREDICTOR,
    USER_SEGMENTATION,
)
from shopstream.settings import Settings


def _p50_ms(fn: Callable[[int], Any], n: int) -> float:
    for i in range(min(20, n)):  # warm-up
        fn(i)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 3)


def load_models(settings: Settings, names: dict[str, str]) -> dict[str, Any]:
    """role → the production version as MLflow loads it (a PyFuncModel)."""
    import mlflow.pyfunc

    os.environ.update(settings.aws_env())
    mlflow.set_tracking_uri(settings.tracking_uri)
    return {role: mlflow.pyfunc.load_model(f"models:/{names[role]}@production")
            for role in ROLES}


def known_visitors(models: dict[str, Any], n: int = 50) -> list[int]:
    """Up to n visitor ids the production recommender knows (models: role → loaded version)."""
    ids = [int(v) for v in models[RECOMMENDER].unwrap_python_model().arrays.user_ids[:n]]
    return ids or [1]


def numpy_top_k_ms(recommender: Any, k: int = 5, n: int = 300) -> float:
    import numpy as np

    arrays = recommender.arrays
    items, users = arrays.item_factors, arrays.user_factors

    def one(i: int) -> Any:
        scores = items @ users[i % len(users)]
        best = np.argpartition(-scores, k)[:k]
        return arrays.item_ids[best[np.argsort(-scores[best])]]

    return _p50_ms(one, n)


def pyfunc_one_row_ms(model: Any, rows: list[dict[str, Any]], n: int = 300) -> float:
    """p50 of the Python model's own predict on one request row (a typed version validates
    the row as MLflow's scoring server does; an older one builds its DataFrame)."""
    return _p50_ms(lambda i: model.predict(None, [rows[i % len(rows)]]), n)


def invocations_one_row_ms(model: Any, rows: list[dict[str, Any]], n: int = 300) -> float:
    """p50 of MLflow's scoring-server ``invocations`` on a one-row body as the router sends it."""
    import json

    from mlflow.pyfunc import scoring_server

    schema = model.metadata.get_input_schema()
    bodies = [json.dumps({INVOCATIONS_KEY: [row]}).encode() for row in rows]
    return _p50_ms(lambda i: scoring_server.invocations(
        bodies[i % len(bodies)], "application/json", model, schema), n)


def measure(models: dict[str, Any], direct: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per endpoint: in-process p50 on one row of the pyfunc and of MLflow's invocations; for
    recommendations also numpy top-k."""
    role_of = {"recommendations": RECOMMENDER, "predict_transaction": TRANSACTION_PREDICTOR,
               "segment_user": USER_SEGMENTATION}
    out: dict[str, Any] = {}
    for endpoint, reqs in direct.items():
        rows = [r["body"][INVOCATIONS_KEY][0] for r in reqs]
        model = models[role_of[endpoint]]
        out[endpoint] = {
            "pyfunc_one_row_p50_ms": pyfunc_one_row_ms(model.unwrap_python_model(), rows),
            "invocations_one_row_p50_ms": invocations_one_row_ms(model, rows)}
    out["recommendations"]["numpy_top_k_p50_ms"] = numpy_top_k_ms(
        models[RECOMMENDER].unwrap_python_model())
    return out
