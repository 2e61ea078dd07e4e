"""MLflow's scoring app with its timeout in pure ASGI: the same answers as the app MLflow
builds, the same 504 when a request takes too long, and MLflow's app left alone when its
middleware is not the one expected."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.middleware.base import BaseHTTPMiddleware

from serving.scoring_app import TIMEOUT_BODY, RequestTimeout, scoring_app, swap_timeout_middleware
from shopstream.contracts import INVOCATIONS_KEY

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

ROWS = {INVOCATIONS_KEY: [{"num_views": 120, "num_addtocart": 7, "distinct_items_interacted": 45},
                          {"num_views": 1, "num_addtocart": 0, "distinct_items_interacted": 1}]}


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from mlflow.pyfunc import scoring_server

    from serving.sample_models import predictor_dir

    path = predictor_dir(tmp_path_factory.mktemp("models") / "predictor", high=0.7)
    return scoring_server.load_model_with_mlflow_config(str(Path(path)))


async def _post(app: Any, path: str, payload: Any = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scoring") as client:
        if payload is None:
            return await client.get(path)
        return await client.post(path, json=payload)


async def test_answers_as_mlflows_own_app_without_its_base_http_middleware(
        predictor: Any) -> None:
    from mlflow.pyfunc import scoring_server

    lean, mlflows = scoring_app(predictor), scoring_server.init(predictor)
    assert [m.cls for m in lean.user_middleware] == [RequestTimeout]
    assert [m.cls for m in mlflows.user_middleware] == [BaseHTTPMiddleware]
    ours, theirs = await _post(lean, "/invocations", ROWS), await _post(mlflows,
                                                                       "/invocations", ROWS)
    assert ours.status_code == theirs.status_code == 200
    assert ours.json() == theirs.json()
    assert len(ours.json()["predictions"]) == 2
    bad = await _post(lean, "/invocations", {INVOCATIONS_KEY: [{"num_views": "many"}]})
    assert bad.status_code == (await _post(mlflows, "/invocations",
                                           {INVOCATIONS_KEY: [{"num_views": "many"}]})
                               ).status_code
    assert bad.status_code >= 400
    assert (await _post(lean, "/ping")).status_code == 200


async def test_the_timeout_is_mlflows_setting(predictor: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT", "7")
    (middleware,) = scoring_app(predictor).user_middleware
    assert middleware.kwargs == {"timeout_s": 7.0}


async def _slow(scope: Any, receive: Any, send: Any) -> None:
    await asyncio.sleep(1.0)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"late"})


async def _fast(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def test_a_request_past_the_limit_gets_mlflows_504() -> None:
    slow = await _post(RequestTimeout(_slow, timeout_s=0.05), "/invocations", {})
    assert slow.status_code == 504
    assert slow.content == TIMEOUT_BODY
    assert slow.headers["content-type"] == "application/json"
    fast = await _post(RequestTimeout(_fast, timeout_s=0.05), "/invocations", {})
    assert (fast.status_code, fast.content) == (200, b"ok")


def test_other_middleware_leaves_the_app_as_mlflow_built_it(predictor: Any) -> None:
    from mlflow.pyfunc import scoring_server
    from starlette.middleware.gzip import GZipMiddleware

    app = scoring_server.init(predictor)
    app.add_middleware(GZipMiddleware)
    before = list(app.user_middleware)
    assert not swap_timeout_middleware(app, 5.0)
    assert app.user_middleware == before


class _DataFrameVersion:
    """A version as built before the typed rows: DataFrame in, DataFrame out."""

    @staticmethod
    def save(path: Path) -> Any:
        import mlflow.pyfunc
        import pandas as pd

        from pipelines.models.pyfunc_common import signature_of
        from shopstream.contracts import MODEL_IO, TRANSACTION_PREDICTOR

        class Old(mlflow.pyfunc.PythonModel):
            def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
                views = model_input["num_views"].to_numpy()
                return pd.DataFrame({"probability": views / 100.0, "will_transact": views > 50})

        mlflow.pyfunc.save_model(str(path), python_model=Old(),
                                 signature=signature_of(MODEL_IO[TRANSACTION_PREDICTOR]))
        return mlflow.pyfunc.load_model(str(path))


async def test_a_dataframe_version_reads_the_routers_rows_as_records(tmp_path: Path) -> None:
    """The router sends every version `inputs`; versions registered before the typed rows have
    DataFrame signatures, and must answer it as they answer `dataframe_records`."""
    app = scoring_app(_DataFrameVersion.save(tmp_path / "old"))
    ours = await _post(app, "/invocations", ROWS)
    records = await _post(app, "/invocations", {"dataframe_records": ROWS[INVOCATIONS_KEY]})
    assert ours.status_code == records.status_code == 200
    assert ours.json() == records.json() == {"predictions": [
        {"probability": 1.2, "will_transact": True},
        {"probability": 0.01, "will_transact": False}]}


async def test_a_typed_version_refuses_a_row_outside_the_contract(predictor: Any) -> None:
    bad = await _post(scoring_app(predictor), "/invocations",
                      {INVOCATIONS_KEY: [{"num_views": 1.5, "num_addtocart": 0,
                                          "distinct_items_interacted": 1}]})
    assert bad.status_code == 400 and "num_views" in bad.json()["message"]
