"""Dead-letter records: every rejected line or message goes to settings.dlq_topic with a reason.

Value (UTF-8 JSON), from the producer:
``{"stage": "producer", "reason", "line_number", "raw", "source", "file"}``;
from the consumer: ``{"stage": "consumer", "reason", "raw", "topic", "partition", "offset"}``.
``raw`` is the line / message value as text (invalid UTF-8 replaced by U+FFFD). Key: the
source id (producer) or the original message key (consumer).
"""

from __future__ import annotations

import json
from typing import Any

from ingestion.validation import Reject

RAW_LIMIT = 10_000


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    return raw[:RAW_LIMIT].decode("utf-8", "replace")


def producer_record(reject: Reject, source: str, file: str) -> bytes:
    payload: dict[str, Any] = {
        "stage": "producer",
        "reason": reject.reason,
        "line_number": reject.line_number,
        "raw": _text(reject.raw),
        "source": source,
        "file": file,
    }
    return json.dumps(payload).encode()


def consumer_record(
    raw: bytes | None, reason: str, topic: str, partition: int, offset: int
) -> bytes:
    payload: dict[str, Any] = {
        "stage": "consumer",
        "reason": reason,
        "raw": _text(raw),
        "topic": topic,
        "partition": partition,
        "offset": offset,
    }
    return json.dumps(payload).encode()


def parse_record(value: bytes) -> dict[str, Any]:
    """A dead-letter value back as a dict (for tools and tests)."""
    result: dict[str, Any] = json.loads(value)
    return result
