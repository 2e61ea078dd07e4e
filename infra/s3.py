"""boto3 access to the object store, configured from Settings (works with S3Proxy and MinIO).

The local S3Proxy (4.x) answers boto3's defaults, checksums included, so nothing here works
around the server: path-style addressing (an endpoint with no bucket DNS), retries and timeouts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopstream.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def s3_client(settings: Settings) -> S3Client:
    import boto3
    from botocore.config import Config

    config = Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key.get_secret_value(),
        region_name=settings.s3_region,
        config=config,
    )


def ensure_buckets(settings: Settings, names: tuple[str, ...] | None = None) -> list[str]:
    """Create the project's buckets when missing; returns the ones created."""
    client = s3_client(settings)
    wanted = names or (settings.events_bucket, settings.artifacts_bucket)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    created = []
    for name in wanted:
        if name not in existing:
            client.create_bucket(Bucket=name)
            created.append(name)
    return created
