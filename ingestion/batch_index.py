"""The batch index: one JSON object per stored batch at ``{prefix}/_index/{number:06d}.json``.

Entry fields (docs/contracts.md): number, key, format, rows, offsets {"<partition>": [first,
last]}, min_ts, max_ts, sha256, created_at; shopstream adds topic, partition and seq_hwm
({source: highest seq stored so far in this partition}), which the consumer reloads to
deduplicate replayed files and to resume after a crash.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ingestion.errors import BatchSpecError, BatchStoreError
from shopstream.contracts import parse_batch_range
from shopstream.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)

_ENTRY_NAME = re.compile(r"/_index/(\d{6,})\.json$")


@dataclass(frozen=True)
class BatchEntry:
    number: int
    key: str
    format: str
    rows: int
    offsets: dict[str, list[int]]
    min_ts: int | None
    max_ts: int | None
    sha256: str
    created_at: str
    topic: str = ""
    partition: int = -1
    seq_hwm: dict[str, int] = field(default_factory=dict)

    def uri(self, settings: Settings) -> str:
        """``s3a://bucket/key`` for Spark."""
        return f"s3a://{settings.events_bucket}/{self.key}"

    def last_offset(self) -> int:
        return max(last for _, last in self.offsets.values())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchEntry:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


def index_prefix(settings: Settings) -> str:
    return f"{settings.batches_prefix.strip('/')}/_index/"


def entry_key(settings: Settings, number: int) -> str:
    return f"{index_prefix(settings)}{number:06d}.json"


def list_entry_keys(client: S3Client, settings: Settings) -> dict[int, str]:
    """Batch number → index object key, from one (paginated) listing."""
    from botocore.exceptions import BotoCoreError, ClientError

    out: dict[int, str] = {}
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=settings.events_bucket, Prefix=index_prefix(settings)
        )
        for page in pages:
            for obj in page.get("Contents", []):
                match = _ENTRY_NAME.search("/" + obj["Key"])
                if match:
                    out[int(match.group(1))] = obj["Key"]
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return {}
        raise _store_error(settings, e) from e
    except BotoCoreError as e:
        raise _store_error(settings, e) from e
    return out


def read_entry(client: S3Client, settings: Settings, key: str) -> BatchEntry:
    body = client.get_object(Bucket=settings.events_bucket, Key=key)["Body"].read()
    return BatchEntry.from_json(json.loads(body))


def write_entry(client: S3Client, settings: Settings, entry: BatchEntry) -> None:
    body = json.dumps(entry.to_json(), indent=1).encode()
    client.put_object(Bucket=settings.events_bucket, Key=entry_key(settings, entry.number),
                      Body=body, ContentType="application/json")


class IndexCache:
    """Index entries read so far; `refresh` fetches only entries not seen before."""

    def __init__(self, client: S3Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.entries: dict[int, BatchEntry] = {}

    def refresh(self) -> list[BatchEntry]:
        from concurrent.futures import ThreadPoolExecutor

        keys = list_entry_keys(self.client, self.settings)
        missing = [(n, k) for n, k in keys.items() if n not in self.entries]
        with ThreadPoolExecutor(max_workers=8) as pool:
            loaded = pool.map(lambda nk: read_entry(self.client, self.settings, nk[1]), missing)
            for (number, _), entry in zip(missing, loaded, strict=True):
                self.entries[number] = entry
        return [self.entries[n] for n in sorted(self.entries)]

    def latest_for(self, topic: str, partition: int) -> BatchEntry | None:
        """The entry holding the highest offsets of one partition of one topic."""
        best: BatchEntry | None = None
        for entry in self.entries.values():
            if entry.topic == topic and entry.partition == partition and (
                best is None or entry.last_offset() > best.last_offset()
            ):
                best = entry
        return best


def list_batches(settings: Settings) -> list[BatchEntry]:
    """Every batch of the index, by number."""
    from infra.s3 import s3_client

    return IndexCache(s3_client(settings), settings).refresh()


def parse_spec(spec: str) -> tuple[int, int]:
    """ "A-B" or "A" → (A, B) (the contract's one parser, with this stage's error type)."""
    try:
        bounds = parse_batch_range(spec)
    except ValueError as e:
        raise BatchSpecError(str(e)) from None
    if bounds is None:
        msg = "batch selection is empty; give 'A-B' or 'A' (e.g. '1-50' or '7')"
        raise BatchSpecError(msg)
    return bounds


def select_batches(settings: Settings, spec: str | None) -> list[BatchEntry]:
    """Batches A-B inclusive ("A-B"), one batch ("A"), or all (None)."""
    entries = list_batches(settings)
    if spec is None or not spec.strip():
        return entries
    low, high = parse_spec(spec)
    chosen = [e for e in entries if low <= e.number <= high]
    if not chosen:
        have = f"{entries[0].number}-{entries[-1].number}" if entries else "none"
        msg = f"no batches in {spec!r}; the index holds {have}. Run `shopstream batches`."
        raise BatchSpecError(msg)
    return chosen


def _store_error(settings: Settings, e: Exception) -> BatchStoreError:
    msg = (
        f"cannot read the batch index in s3://{settings.events_bucket}/{index_prefix(settings)} "
        f"at {settings.s3_endpoint}: {e}. Start the stack (`shopstream stack up`) or check "
        "--s3-endpoint and the keys."
    )
    return BatchStoreError(msg)
