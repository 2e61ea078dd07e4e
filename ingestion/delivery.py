"""Delivery checks for kafka-python sends: every future is looked at, failures are raised.

The producer hands each block's futures to a `DeliveryTracker`; before accepting the next
block it waits for the previous one, so at most two blocks are in flight (bounded memory and
back-pressure when the broker is slower than the file reader).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ingestion.errors import DeliveryError

logger = logging.getLogger(__name__)


class DeliveryTracker:
    def __init__(self, timeout_s: float, what: str = "events") -> None:
        self.timeout_s = timeout_s
        self.what = what
        self.delivered = 0
        self._pending: list[Sequence[Any]] = []

    def add(self, futures: Sequence[Any]) -> None:
        """Track a block's futures; confirms all but the newest block first."""
        self._pending.append(futures)
        while len(self._pending) > 1:
            self._confirm(self._pending.pop(0))

    def confirm_all(self) -> None:
        while self._pending:
            self._confirm(self._pending.pop(0))

    def _confirm(self, futures: Sequence[Any]) -> None:
        failed = 0
        first: BaseException | None = None
        for future in futures:
            if not future.is_done:
                try:
                    future.get(timeout=self.timeout_s)
                except Exception as e:
                    failed += 1
                    first = first or e
                    continue
            if future.failed():
                failed += 1
                first = first or future.exception
        self.delivered += len(futures) - failed
        if failed:
            msg = (
                f"{failed} {self.what} were not acknowledged by Kafka ({first!r}). "
                "Check the broker (`shopstream stack status`) and run the same command again: "
                "the consumer drops events it already stored (same source and seq)."
            )
            raise DeliveryError(msg) from first if isinstance(first, Exception) else None
