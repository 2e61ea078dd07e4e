"""The real local services answer: Kafka, S3, Spark over s3a, MLflow tracking + registry."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from infra.s3 import ensure_buckets, s3_client
from shopstream.settings import Settings
from tests.conftest import unique

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def test_kafka_keyed_messages_keep_per_key_order(live_stack: Settings) -> None:
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = unique("it-kafka")
    admin = KafkaAdminClient(bootstrap_servers=live_stack.kafka_bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    admin.close()

    producer = KafkaProducer(bootstrap_servers=live_stack.kafka_bootstrap, acks="all",
                             linger_ms=5)
    futures = [
        producer.send(topic, key=f"k{i % 37}".encode(), value=json.dumps({"n": i}).encode())
        for i in range(10_000)
    ]
    producer.flush()
    partitions_used = {f.get(timeout=30).partition for f in futures}
    producer.close()
    assert partitions_used == {0, 1, 2, 3}

    consumer = KafkaConsumer(topic, bootstrap_servers=live_stack.kafka_bootstrap,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             group_id=unique("it-group"), consumer_timeout_ms=10_000)
    per_key: dict[bytes, list[int]] = defaultdict(list)
    total = 0
    for message in consumer:
        per_key[message.key].append(json.loads(message.value)["n"])
        total += 1
        if total == 10_000:
            break
    consumer.close()
    assert total == 10_000
    assert len(per_key) == 37
    for values in per_key.values():
        assert values == sorted(values)


def test_s3_put_list_get_delete(live_stack: Settings) -> None:
    bucket = unique("it-s3")
    ensure_buckets(live_stack, (bucket,))
    client = s3_client(live_stack)
    client.put_object(Bucket=bucket, Key="a/one.txt", Body=b"hello")
    client.put_object(Bucket=bucket, Key="a/two.txt", Body=b"world")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="a/")["Contents"]]
    assert keys == ["a/one.txt", "a/two.txt"]
    assert client.get_object(Bucket=bucket, Key="a/two.txt")["Body"].read() == b"world"
    client.delete_object(Bucket=bucket, Key="a/one.txt")
    left = client.list_objects_v2(Bucket=bucket, Prefix="a/").get("Contents", [])
    assert [o["Key"] for o in left] == ["a/two.txt"]


def test_s3_server_does_not_log_per_request_debug(live_stack: Settings) -> None:
    """S3Proxy's jar carries no logback.xml and logback's default is DEBUG: Jetty then logs
    every buffer, which costs more CPU than the upload itself. The stack passes its own."""
    from infra.services import S3Service

    log = S3Service(live_stack).log_file
    before = log.stat().st_size if log.exists() else 0
    bucket = unique("it-s3log")
    ensure_buckets(live_stack, (bucket,))
    s3_client(live_stack).put_object(Bucket=bucket, Key="blob.bin", Body=b"x" * (4 << 20))
    with log.open("rb") as f:
        f.seek(before)
        appended = f.read()
    assert b" DEBUG " not in appended, appended[:300]
    assert len(appended) < 10_000


def test_spark_parquet_roundtrip_over_s3a(live_stack: Settings, spark: SparkSession) -> None:
    bucket = unique("it-spark")
    ensure_buckets(live_stack, (bucket,))
    df = spark.range(0, 25_000).selectExpr("id", "id % 7 AS bucket7")
    df.write.mode("overwrite").parquet(f"s3a://{bucket}/roundtrip")
    back = spark.read.parquet(f"s3a://{bucket}/roundtrip")
    assert back.count() == 25_000
    assert back.agg({"id": "sum"}).collect()[0][0] == sum(range(25_000))
    listed = s3_client(live_stack).list_objects_v2(Bucket=bucket, Prefix="roundtrip/")
    assert any(o["Key"].endswith(".parquet") for o in listed["Contents"])


def test_mlflow_run_artifact_registry_and_alias(live_stack: Settings, tmp_path: Path) -> None:
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(live_stack.tracking_uri)
    mlflow.set_experiment(unique("it-exp"))
    name = unique("it-model")

    class Doubler(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined,misc]
        def predict(self, context: object, model_input: pd.DataFrame) -> pd.DataFrame:
            return model_input * 2

    note = tmp_path / "note.txt"
    note.write_text("artifact body")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_metric("score", 0.75)
        mlflow.log_artifact(str(note))
        info = mlflow.pyfunc.log_model(
            name="model", python_model=Doubler(), registered_model_name=name,
            input_example=pd.DataFrame({"x": [1.0]}),
        )
    got = MlflowClient().get_run(run.info.run_id)
    assert got.data.params["alpha"] == "0.5" and got.data.metrics["score"] == 0.75

    # The artifact went through the tracking server into the object store's artifact bucket.
    pages = s3_client(live_stack).get_paginator("list_objects_v2").paginate(
        Bucket=live_stack.artifacts_bucket, Prefix=f"{run.info.experiment_id}/")
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert any(k.endswith("note.txt") and run.info.run_id in k for k in keys)

    client = MlflowClient()
    version = client.get_registered_model(name).latest_versions[0].version
    client.set_registered_model_alias(name, "production", version)
    assert str(info.registered_model_version) == str(version)
    model = mlflow.pyfunc.load_model(f"models:/{name}@production")
    out = model.predict(pd.DataFrame({"x": [1.5, 4.0]}))
    assert list(out["x"]) == [3.0, 8.0]


@pytest.mark.parametrize("service", ["kafka", "s3", "mlflow"])
def test_stack_status_reports_running(live_stack: Settings, service: str) -> None:
    from infra import stack

    status = stack.status(live_stack, [service])[service]
    assert status.running and status.pid is not None
