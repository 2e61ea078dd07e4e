"""Batch numbers 1, 2, 3 … shared by every consumer of a group, without conditional writes.

S3Proxy ignores ``If-None-Match``, so a number is taken with a claim protocol on strongly
consistent object listings: write ``{prefix}/_claims/{n:06d}/{claimant}``, list the claims of n,
and win only when no other claimant is there (two simultaneous claimants both see each other,
both withdraw, and retry after a random pause; two can never both win). A winner checks once
more that n has no index entry: a consumer that wrote n's entry and released its claim between
our entry check and our claim listing would otherwise be overwritten. A claimant is the batch
itself (topic/partition/first offset): a consumer restarted after a crash, or the next owner of
the partition, writes the batch that starts at the same offset and so recognises a claim left by
its predecessor as its own and takes that number, so no number is skipped. (A claim whose
partition is never consumed again stays a gap; `shopstream batches` shows it.)
"""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING

from ingestion.batch_index import entry_key, list_entry_keys
from ingestion.errors import BatchStoreError
from shopstream.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 200


def claims_prefix(settings: Settings, number: int) -> str:
    return f"{settings.batches_prefix.strip('/')}/_claims/{number:06d}/"


def claimant_id(topic: str, partition: int, first_offset: int) -> str:
    return f"{topic}.p{partition}.o{first_offset}"


def _claimants(client: S3Client, settings: Settings, number: int) -> set[str]:
    prefix = claims_prefix(settings, number)
    listing = client.list_objects_v2(Bucket=settings.events_bucket, Prefix=prefix)
    return {obj["Key"][len(prefix):] for obj in listing.get("Contents", [])}


def _entry_exists(client: S3Client, settings: Settings, number: int) -> bool:
    from botocore.exceptions import ClientError

    try:
        client.head_object(Bucket=settings.events_bucket, Key=entry_key(settings, number))
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _open_claims(client: S3Client, settings: Settings) -> dict[int, set[str]]:
    """Every claim still present: number → claimants."""
    root = f"{settings.batches_prefix.strip('/')}/_claims/"
    out: dict[int, set[str]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.events_bucket, Prefix=root
    ):
        for obj in page.get("Contents", []):
            number_text, _, who = obj["Key"][len(root):].partition("/")
            if number_text.isdigit() and who:
                out.setdefault(int(number_text), set()).add(who)
    return out


def _reclaim(client: S3Client, settings: Settings, claimant: str,
             numbers: dict[int, str]) -> int | None:
    """A number this batch claimed in an earlier life (a crash before its index entry)."""
    for number, claimants in sorted(_open_claims(client, settings).items()):
        if claimant not in claimants:
            continue
        if number not in numbers:
            logger.info("reusing batch number %d claimed before a restart", number)
            return number
        release(client, settings, number, claimant)
    return None


def allocate(client: S3Client, settings: Settings, claimant: str) -> int:
    """The next free batch number, claimed for ``claimant`` (release it after the entry)."""
    numbers = list_entry_keys(client, settings)
    reclaimed = _reclaim(client, settings, claimant, numbers)
    if reclaimed is not None:
        return reclaimed
    number = max(numbers, default=0) + 1
    for _ in range(MAX_ATTEMPTS):
        if _entry_exists(client, settings, number):
            number += 1
            continue
        others = _claimants(client, settings, number) - {claimant}
        if others:
            number += 1
            continue
        key = claims_prefix(settings, number) + claimant
        client.put_object(Bucket=settings.events_bucket, Key=key, Body=b"")
        others = _claimants(client, settings, number) - {claimant}
        if not others and not _entry_exists(client, settings, number):
            return number
        client.delete_object(Bucket=settings.events_bucket, Key=key)
        if not others:  # another consumer wrote n's entry and released its claim meanwhile
            number += 1
            continue
        logger.debug("batch number %d contended by %s; retrying", number, sorted(others))
        time.sleep(random.uniform(0.02, 0.3))
    msg = (
        f"could not allocate a batch number after {MAX_ATTEMPTS} attempts (too many consumers "
        "contending?). Run the consumer again; nothing was committed."
    )
    raise BatchStoreError(msg)


def release(client: S3Client, settings: Settings, number: int, claimant: str) -> None:
    key = claims_prefix(settings, number) + claimant
    client.delete_object(Bucket=settings.events_bucket, Key=key)
