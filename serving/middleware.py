"""Pure-ASGI middleware: request ids, body size limit, metrics, and opaque 500s."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import RouterMetrics

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


class BodyTooLargeError(Exception):
    """Raised inside receive() when a streamed body passes the limit."""


def raw_header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header `name` (lower-case bytes) in an ASGI scope."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    value = raw_header(scope, name)
    return value.decode("latin-1") if value is not None else None


def _json_message(status: int, payload: dict[str, Any], request_id: str | None) -> list[Message]:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if request_id is not None:
        headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
    return [
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]


class RouterMiddleware:
    def __init__(self, app: ASGIApp, metrics: RouterMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"], (b"x-request-id", request_id.encode())
                ]
            await send(message)

        try:
            if self._declared_too_large(scope):
                await self._reject_large(send_wrapper)
            else:
                await self.app(scope, self._limited(receive), send_wrapper)
        except BodyTooLargeError:
            if not status["started"]:
                await self._reject_large(send_wrapper)
        except Exception:
            logger.exception("unhandled error on %s %s [request_id=%s]", scope.get("method"),
                             scope.get("path"), request_id)
            if not status["started"]:
                payload = {
                    "detail": "internal error; quote the request_id when reporting it",
                    "request_id": request_id,
                }
                for msg in _json_message(500, payload, request_id):
                    await send(msg)
                status["code"] = 500
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(label, scope.get("method", ""), int(status["code"]),
                                 time.perf_counter() - start)

    def _declared_too_large(self, scope: Scope) -> bool:
        length = _header(scope, b"content-length")
        try:
            return length is not None and int(length) > self.max_body
        except ValueError:
            return False

    async def _reject_large(self, send: Send) -> None:
        payload = {"detail": f"request body larger than {self.max_body} bytes; send less data"}
        for msg in _json_message(413, payload, None):
            await send(msg)

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLargeError
            return message

        return wrapped
