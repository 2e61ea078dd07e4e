"""The local object store serves every client with its defaults: endpoint and keys, nothing else.

boto3 (GetObject, HeadObject, multipart upload, listings), pyarrow's S3FileSystem, Spark's s3a
(the project's session builder) and MLflow's proxied artifacts each read what the project's
batch writer stored, in a bucket of their own. No client here gets a custom botocore config,
and no AWS_* variable or profile may set one behind the test's back: boto3's defaults send
``x-amz-checksum-mode`` and CRC checksums, which S3Proxy 2.6 refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from shopstream.settings import Settings
from tests.conftest import unique

if TYPE_CHECKING:
    import pyarrow as pa
    from mypy_boto3_s3 import S3Client
    from pyspark.sql import SparkSession

    from ingestion.batch_index import BatchEntry

MIB = 1 << 20
# Variables and files through which boto3 (or the AWS SDKs under pyarrow and the MLflow
# server) could be told to relax checksums: the test runs with none of them.
AWS_CONFIG_VARIABLES = ("AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION",
                        "AWS_PROFILE", "AWS_S3_ADDRESSING_STYLE")


@dataclass(frozen=True)
class StoredBatch:
    settings: Settings  # the live stack's, with events_bucket = this session's bucket
    entry: BatchEntry
    table: pa.Table
    body: bytes


@pytest.fixture(scope="module", autouse=True)
def no_aws_overrides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    empty = tmp_path_factory.mktemp("aws") / "config"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as mp:
        for name in AWS_CONFIG_VARIABLES:
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", str(empty))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        yield


@pytest.fixture(scope="module")
def default_s3(live_stack: Settings) -> S3Client:
    """boto3's client as a newcomer writes it: endpoint and keys, default configuration."""
    import boto3

    client = boto3.client(
        "s3", endpoint_url=live_stack.s3_endpoint, aws_access_key_id=live_stack.s3_access_key,
        aws_secret_access_key=live_stack.s3_secret_key.get_secret_value())
    assert client.meta.config.request_checksum_calculation == "when_supported"
    assert client.meta.config.response_checksum_validation == "when_supported"
    return client


@pytest.fixture(scope="module")
def stored(live_stack: Settings) -> StoredBatch:
    """One batch written by the project's writer (object + index entry) in a fresh bucket."""
    import pyarrow as pa

    from infra.s3 import ensure_buckets, s3_client
    from ingestion.batch_writer import BatchWriter, serialize
    from shopstream import contracts as cols

    settings = live_stack.model_copy(update={"events_bucket": unique("it-defaults")})
    ensure_buckets(settings, (settings.events_bucket,))
    n = 2_000
    table = pa.table({
        cols.TIMESTAMP: pa.array([1_430_622_000_000 + 1_000 * i for i in range(n)], pa.int64()),
        cols.VISITORID: pa.array([i % 97 for i in range(n)], pa.int64()),
        cols.EVENT: pa.array([cols.VIEW if i % 5 else cols.ADDTOCART for i in range(n)]),
        cols.ITEMID: pa.array([i % 31 for i in range(n)], pa.int64()),
        cols.TRANSACTIONID: pa.array([None] * n, pa.int64()),
        cols.SEQ: pa.array(range(1, n + 1), pa.int64()),
        cols.SOURCE: pa.array(["defaults-test"] * n),
        cols.KAFKA_PARTITION: pa.array([0] * n, pa.int32()),
        cols.KAFKA_OFFSET: pa.array(range(n), pa.int64()),
    })
    writer = BatchWriter(s3_client(settings), settings)
    entry = writer.store(settings.topic, 0, 0, n - 1, table, {"defaults-test": n})
    return StoredBatch(settings, entry, table.cast(cols.batch_schema()),
                       serialize(table, "parquet"))


def _all_keys(client: S3Client, bucket: str, prefix: str = "") -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_default_boto3_gets_and_heads_a_batch(default_s3: S3Client, stored: StoredBatch) -> None:
    bucket, key = stored.settings.events_bucket, stored.entry.key
    got = default_s3.get_object(Bucket=bucket, Key=key)  # sends x-amz-checksum-mode: ENABLED
    body = got["Body"].read()
    assert hashlib.sha256(body).hexdigest() == stored.entry.sha256
    head = default_s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(body) == len(stored.body)
    ranged = default_s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-3")["Body"].read()
    assert ranged == b"PAR1"


def test_listings_return_objects_only(default_s3: S3Client, stored: StoredBatch) -> None:
    """Real S3 and MinIO list objects, never the folders between them (S3Proxy 2.6 listed
    `batches/_index/` and every partition folder as keys)."""
    from ingestion.batch_index import entry_key, index_prefix

    bucket, settings = stored.settings.events_bucket, stored.settings
    keys = _all_keys(default_s3, bucket)
    assert {stored.entry.key, entry_key(settings, stored.entry.number)} <= set(keys)
    assert [k for k in keys if k.endswith("/")] == []
    for key in keys:  # each listed key is an object that can be read
        assert default_s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    top = default_s3.list_objects_v2(Bucket=bucket, Prefix=f"{settings.batches_prefix}/",
                                     Delimiter="/")
    assert [o["Key"] for o in top.get("Contents", [])] == []
    folders = {p["Prefix"] for p in top.get("CommonPrefixes", [])}
    assert index_prefix(settings) in folders
    v1 = default_s3.list_objects(Bucket=bucket, Prefix=index_prefix(settings))
    assert [o["Key"] for o in v1["Contents"]] == [entry_key(settings, stored.entry.number)]


def test_default_boto3_multipart_upload(default_s3: S3Client, stored: StoredBatch) -> None:
    bucket, key = stored.settings.events_bucket, f"uploads/{unique('mp')}.bin"
    chunks = [bytes([n]) * (5 * MIB) for n in (1, 2)] + [b"tail" * 256]
    upload = default_s3.create_multipart_upload(Bucket=bucket, Key=key)
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        part = default_s3.upload_part(Bucket=bucket, Key=key, UploadId=upload["UploadId"],
                                      PartNumber=number, Body=chunk)
        checksums = {k: v for k, v in part.items() if k.startswith("Checksum")}
        parts.append({"PartNumber": number, "ETag": part["ETag"], **checksums})
    default_s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"],
                                         MultipartUpload={"Parts": parts})  # type: ignore[typeddict-item]
    whole = b"".join(chunks)
    head = default_s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(whole)
    assert head["ETag"].strip('"').endswith("-3"), head["ETag"]  # stored as three parts
    body = default_s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(whole).digest()


def test_default_boto3_managed_transfer(default_s3: S3Client, stored: StoredBatch,
                                        tmp_path: Path) -> None:
    """upload_file / download_file with boto3's default TransferConfig: 12 MiB goes up in
    8 MiB parts and comes down in ranged GETs."""
    bucket, key = stored.settings.events_bucket, f"uploads/{unique('transfer')}.bin"
    source, back = tmp_path / "up.bin", tmp_path / "down.bin"
    source.write_bytes(hashlib.sha256(b"seed").digest() * (12 * MIB // 32))
    default_s3.upload_file(str(source), bucket, key)
    default_s3.download_file(bucket, key, str(back))
    assert back.read_bytes() == source.read_bytes()
    assert default_s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"').endswith("-2")


def test_pyarrow_s3filesystem_reads_a_batch(stored: StoredBatch) -> None:
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    settings = stored.settings
    fs = pafs.S3FileSystem(access_key=settings.s3_access_key,
                           secret_key=settings.s3_secret_key.get_secret_value(),
                           endpoint_override=settings.s3_endpoint)
    path = f"{settings.events_bucket}/{stored.entry.key}"
    assert fs.get_file_info(path).size == len(stored.body)
    table = pq.read_table(path, filesystem=fs)
    assert table.equals(stored.table)
    listed = fs.get_file_info(pafs.FileSelector(settings.events_bucket, recursive=True))
    files = {info.path for info in listed if info.type == pafs.FileType.File}
    assert path in files


@pytest.mark.spark
def test_spark_s3a_reads_a_batch(spark: SparkSession, stored: StoredBatch) -> None:
    """The project's session builder (pipelines.data.spark) sets endpoint, keys and path-style
    access, nothing that works around the server."""
    from pipelines.data.spark import spark_conf

    conf = spark_conf(stored.settings)
    assert not [k for k, v in conf.items() if "checksum" in k.lower() or "checksum" in v.lower()]
    frame = spark.read.parquet(stored.entry.uri(stored.settings))
    row = frame.agg({"seq": "sum", "*": "count"}).collect()[0].asDict()
    assert row["count(1)"] == stored.table.num_rows
    assert row["sum(seq)"] == sum(range(1, stored.table.num_rows + 1))


def test_mlflow_artifacts_log_and_download(live_stack: Settings, default_s3: S3Client,
                                           tmp_path: Path) -> None:
    """Artifacts go through the tracking server (its boto3 with defaults: aws_env sets no
    checksum override) into the artifact bucket, and come back byte for byte; 9 MiB crosses
    boto3's multipart threshold on the server side."""
    import mlflow

    assert not [k for k in live_stack.aws_env() if "CHECKSUM" in k]
    mlflow.set_tracking_uri(live_stack.tracking_uri)
    experiment_id = mlflow.create_experiment(unique("it-defaults-exp"))
    small, large = tmp_path / "note.txt", tmp_path / "blob.bin"
    small.write_text("artifact body")
    large.write_bytes(hashlib.sha256(b"mlflow").digest() * (9 * MIB // 32))
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_artifact(str(small), "docs")
        mlflow.log_artifact(str(large), "blobs")
    run_id = run.info.run_id
    target = tmp_path / "download"
    got = Path(mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(target)))
    assert (got / "docs" / "note.txt").read_text() == "artifact body"
    assert (got / "blobs" / "blob.bin").read_bytes() == large.read_bytes()
    keys = _all_keys(default_s3, live_stack.artifacts_bucket, f"{experiment_id}/")
    stored_large = [k for k in keys if run_id in k and k.endswith("blobs/blob.bin")]
    assert len(stored_large) == 1, keys
    head: Any = default_s3.head_object(Bucket=live_stack.artifacts_bucket, Key=stored_large[0])
    assert head["ContentLength"] == large.stat().st_size
