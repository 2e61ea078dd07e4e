"""MLflow's scoring app for one model, its request timeout kept in pure ASGI.

`mlflow.pyfunc.scoring_server.init(model)` is the app `mlflow models serve` runs: /ping,
/health, /version and /invocations, and one middleware, a per-request timeout
(``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`` seconds, then 504 "Request processing time
exceeded limit"). That middleware is a Starlette ``BaseHTTPMiddleware``, which runs every
request through an anyio task group, memory streams and a cancel scope: in a py-spy profile
of the scoring host under load it was the largest piece of the event loop's own work
(docs/serving.md has the figures). :func:`scoring_app` swaps it for :class:`RequestTimeout`,
a pure-ASGI middleware with the same limit and the same 504 answer; the routes and their
handlers stay MLflow's own, so the REST contract is unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

TIMEOUT_BODY = b"Request processing time exceeded limit"  # MLflow's own answer, word for word
MLFLOW_TIMEOUT_MIDDLEWARE = "timeout_middleware"  # the name of MLflow's dispatch function


class RequestTimeout:
    """504 when the app has not started its response within `timeout_s` (MLflow's rule)."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(self.timeout_s):  # no extra task, unlike wait_for
                await self.app(scope, receive, send_tracking)
        except TimeoutError:
            if started:  # too late for a status line: let the server close the connection
                raise
            await send({"type": "http.response.start", "status": 504, "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(TIMEOUT_BODY)).encode())]})
            await send({"type": "http.response.body", "body": TIMEOUT_BODY})


def swap_timeout_middleware(app: Any, timeout_s: float) -> bool:
    """Replace MLflow's BaseHTTPMiddleware timeout by RequestTimeout in an app that has not
    started yet; False (app untouched) when its middleware is not the one expected."""
    from starlette.middleware.base import BaseHTTPMiddleware

    found = [m for m in app.user_middleware if m.cls is BaseHTTPMiddleware and getattr(
        m.kwargs.get("dispatch"), "__name__", "") == MLFLOW_TIMEOUT_MIDDLEWARE]
    if len(found) != 1 or len(app.user_middleware) != 1 or app.middleware_stack is not None:
        return False
    app.user_middleware.remove(found[0])
    app.add_middleware(RequestTimeout, timeout_s=timeout_s)
    return True


def scoring_app(model: Any) -> Any:
    """MLflow's scoring app over a loaded pyfunc, its timeout middleware in pure ASGI."""
    from mlflow.environment_variables import MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT
    from mlflow.pyfunc import scoring_server

    app = scoring_server.init(model)
    if not swap_timeout_middleware(app, float(MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT.get())):
        logger.warning("this MLflow's scoring app has other middleware than expected; "
                       "served as MLflow built it")
    return app
