"""The one SparkSession factory: s3a wired to the configured object store, quiet by default.

The same code runs locally (``local[*]``) and under spark-submit on a cluster: the master URL,
driver memory and any extra ``spark.*`` conf come from Settings. The hadoop-aws jars come from
the project's Maven pom (infra/maven/spark) through ``spark.jars`` — never Ivy / --packages.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from shopstream.settings import LOCAL_HOST, PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)

# The driver JVM's log4j2 configuration: warnings and errors only (see the file).
LOG4J2_CONFIG = PROJECT_ROOT / "infra" / "conf" / "spark-log4j2.properties"


def spark_conf(settings: Settings, app_name: str = "shopstream") -> dict[str, str]:
    """Every conf entry the session gets, as plain strings (unit-testable without a JVM)."""
    from infra.jars import jar_files

    jars = ",".join(str(p) for p in jar_files(settings.jars_dir, "spark"))
    conf = {
        "spark.app.name": app_name,
        "spark.master": settings.spark_master_url,
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.jars": jars,
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": str(settings.spark_ui).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
        "spark.driver.extraJavaOptions": driver_java_options(),
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.endpoint": settings.s3_endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": settings.s3_region,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.access.key": settings.s3_access_key,
        "spark.hadoop.fs.s3a.secret.key": settings.s3_secret_key.get_secret_value(),
        "spark.hadoop.fs.s3a.aws.credentials.provider":
            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": str(
            settings.s3_endpoint.startswith("https")
        ).lower(),
        "spark.hadoop.fs.s3a.change.detection.mode": "none",
        "spark.hadoop.fs.s3a.committer.magic.enabled": "false",
        "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
    }
    if not settings.spark_master_url.startswith("local"):
        # A cluster's executors: the jars above reach each of them through spark.jars.
        conf["spark.executor.memory"] = settings.spark_executor_memory
    conf.update(settings.spark_conf)
    return conf


def driver_java_options() -> str:
    """The driver JVM's -D options: the project's log4j2 configuration (the local S3 serves
    the AWS SDK's default checksums, so nothing works around the server)."""
    return f"-Dlog4j2.configurationFile={LOG4J2_CONFIG.as_uri()}"


def get_spark(settings: Settings, app_name: str = "shopstream") -> SparkSession:
    """Build (or reuse) the SparkSession. Under spark-submit the submitted conf wins."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", _python())
    if settings.spark_master_url.startswith(("local", f"spark://{LOCAL_HOST}:")):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for key, value in spark_conf(settings, app_name).items():
        if key == "spark.master" and "SPARK_SUBMIT_OPTS" in os.environ:
            continue
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    logger.info("Spark %s on %s", spark.version, spark.sparkContext.master)
    return spark


def _python() -> str:
    import sys

    return sys.executable
