"""Every send's future is checked; one failure fails the run with a message."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ingestion.delivery import DeliveryTracker
from ingestion.errors import DeliveryError

pytestmark = pytest.mark.unit


@dataclass
class _Future:
    """The slice of kafka-python's FutureRecordMetadata that the tracker uses."""

    error: Exception | None = None
    is_done: bool = True

    def failed(self) -> bool:
        return self.error is not None

    @property
    def exception(self) -> Exception | None:
        return self.error

    def get(self, timeout: float) -> None:
        self.is_done = True
        if self.error is not None:
            raise self.error


def test_all_acknowledged_blocks_are_counted() -> None:
    tracker = DeliveryTracker(1)
    tracker.add([_Future(), _Future()])
    tracker.add([_Future(is_done=False)])
    tracker.confirm_all()
    assert tracker.delivered == 3


def test_a_failed_send_raises_with_what_to_do() -> None:
    tracker = DeliveryTracker(1)
    tracker.add([_Future(), _Future(TimeoutError("broker gone"))])
    with pytest.raises(DeliveryError, match=r"1 events were not acknowledged.*run the same"):
        tracker.confirm_all()


def test_a_send_that_fails_while_waited_for_is_reported() -> None:
    tracker = DeliveryTracker(1, "dead-letter records")
    tracker.add([_Future(OSError("reset"), is_done=False)])
    with pytest.raises(DeliveryError, match="dead-letter records"):
        tracker.add([_Future()])  # confirming the previous block surfaces its failure
