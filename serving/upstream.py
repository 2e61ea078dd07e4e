"""The router's view of one model: where its scoring server is, and how to call it.

Calls made in the same event-loop tick are coalesced into one multi-row /invocations request
(one output row per input row, per the pyfunc contract), so a burst of 32 requests costs the
scoring server one pandas round trip instead of 32. Every request still gets a model answer:
nothing is cached.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from serving.errors import ModelResponseError, ModelUnavailableError
from serving.registry import ProductionVersion
from serving.transport import Transport, TransportError
from shopstream.contracts import INVOCATIONS_KEY

logger = logging.getLogger(__name__)

Row = dict[str, Any]
Pending = tuple[Row, "asyncio.Future[Row]"]

READY = "ready"
STARTING = "starting"
DOWN = "down"
NO_MODEL = "no_production_version"


@dataclass
class Endpoint:
    """One scoring server the router can send to. inflight counts batches sent, not answered."""

    url: str
    model: ProductionVersion
    port: int | None = None
    inflight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    alive: Callable[[], bool] | None = None  # is the serving process still there? (cheap)

    def __post_init__(self) -> None:
        self.idle.set()


class Upstream:
    """Routes rows of one role to the scoring server currently serving its production version."""

    def __init__(
        self,
        role: str,
        name: str,
        client: Transport,
        *,
        max_batch: int = 64,
        max_concurrent_batches: int = 1,
        timeout_s: float = 10.0,
    ) -> None:
        self.role = role
        self.name = name
        self.client = client
        self.max_batch = max_batch
        self.max_concurrent = max_concurrent_batches
        self.timeout_s = timeout_s
        self.endpoint: Endpoint | None = None
        self.state = STARTING
        self.reason = "scoring server starting"
        self.warnings: list[str] = []
        self._pending: list[Pending] = []
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.switched_at: float | None = None
        self.batches_sent = 0  # /invocations calls made (rows_sent / batches_sent = batching)
        self.rows_sent = 0

    # ---- control (the supervisor calls these) ------------------------------------------
    def switch_to(self, endpoint: Endpoint) -> Endpoint | None:
        """Atomically make endpoint the target of every later batch; returns the previous one."""
        previous, self.endpoint = self.endpoint, endpoint
        self.state, self.reason = READY, ""
        self.switched_at = time.time()
        return previous

    def mark(self, state: str, reason: str) -> None:
        self.state, self.reason = state, reason

    async def drain(self, endpoint: Endpoint, timeout: float) -> bool:
        """Wait until no batch is in flight to endpoint; False on timeout."""
        try:
            await asyncio.wait_for(endpoint.idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @property
    def version(self) -> str | None:
        return self.endpoint.model.version if self.endpoint else None

    def snapshot(self) -> dict[str, Any]:
        ep = self.endpoint
        return {
            "name": self.name,
            "version": ep.model.version if ep else None,
            "state": self.state,
            "reason": self.reason or None,
            "url": ep.url if ep else None,
        }

    # ---- data path --------------------------------------------------------------------
    async def predict(self, row: Row) -> Row:
        """One output row for one input row, batched with concurrent callers."""
        if self.state != READY or self.endpoint is None:
            raise ModelUnavailableError(self.role, self.reason or self.state)
        fut: asyncio.Future[Row] = asyncio.get_running_loop().create_future()
        self._pending.append((row, fut))
        if self._active < self.max_concurrent:
            self._active += 1
            task = asyncio.create_task(self._pump())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await fut

    async def _pump(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                await self._send(batch)
        finally:
            self._active -= 1

    async def _send(self, batch: list[Pending]) -> None:
        try:
            rows = await self._invoke([row for row, _ in batch])
        except (ModelUnavailableError, ModelResponseError) as e:
            if len(batch) > 1 and isinstance(e, ModelResponseError):
                await self._send_one_by_one(batch)
                return
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            return
        except Exception as e:  # resolve callers whatever happened; they turn it into a 500
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            return
        for (_, fut), out in zip(batch, rows, strict=True):
            if not fut.done():
                fut.set_result(out)

    async def _send_one_by_one(self, batch: list[Pending]) -> None:
        """A batch the model rejected: find the offending row(s) instead of failing them all."""
        for row, fut in batch:
            try:
                out = await self._invoke([row])
            except Exception as e:
                if not fut.done():
                    fut.set_exception(e)
            else:
                if not fut.done():
                    fut.set_result(out[0])

    async def _invoke(self, rows: list[Row], retry: bool = True) -> list[Row]:
        ep = self.endpoint
        if ep is None or self.state != READY:
            raise ModelUnavailableError(self.role, self.reason or self.state)
        ep.inflight += 1
        self.batches_sent += 1
        self.rows_sent += len(rows)
        ep.idle.clear()
        try:
            status, body = await self.client.post_json(
                f"{ep.url}/invocations", {INVOCATIONS_KEY: rows}, self.timeout_s
            )
        except TransportError as e:
            if retry and self.endpoint is not ep and self.endpoint is not None:
                return await self._invoke(rows, retry=False)  # switched while in flight
            if self.endpoint is ep and ep.alive is not None and not ep.alive():
                # Its process died: say so now (/health, /ready), not at the next supervision
                # round; the supervisor restarts it.
                self.mark(DOWN, "scoring server exited; restarting")
            raise ModelUnavailableError(self.role, f"scoring server unreachable ({e!r})") from e
        finally:
            ep.inflight -= 1
            if ep.inflight == 0:
                ep.idle.set()
        return self._parse(status, body, len(rows))

    def _parse(self, status: int, body: bytes, expected: int) -> list[Row]:
        text = body[:500].decode("utf-8", "replace")
        if status >= 500:
            logger.warning("%s answered %d: %s", self.role, status, text)
            raise ModelResponseError(self.role, f"scoring server error {status}")
        if status != 200:
            logger.warning("%s rejected input (%d): %s", self.role, status, text)
            raise ModelResponseError(self.role, f"input rejected ({status})")
        try:
            preds = json.loads(body).get("predictions")
        except (ValueError, AttributeError):
            preds = None
        if not isinstance(preds, list) or len(preds) != expected:
            got = len(preds) if isinstance(preds, list) else type(preds).__name__
            raise ModelResponseError(self.role, f"expected {expected} rows, got {got}")
        return preds
