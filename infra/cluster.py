"""The cluster profile's processes beside Kafka's nodes and S3: a Spark standalone master and
its workers (from the pyspark wheel's bin/spark-class), and MLflow on PostgreSQL with basic auth.

:func:`profile_services` lists every process of a profile in start order.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from infra.errors import ToolMissingError
from infra.postgres import PostgresService
from infra.services import KafkaService, Launch, MlflowService, S3Service, Service
from shopstream.profiles import KAFKA_NODES, SPARK_WORKERS
from shopstream.settings import LOCAL_HOST, Settings

logger = logging.getLogger(__name__)

SPARK_DAEMON_HEAP = "512m"  # the master's and each worker daemon's own JVM heap


def spark_home() -> Path:
    """The pyspark wheel's folder: it holds bin/spark-class and jars/."""
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-class").is_file():
        msg = f"{home}/bin/spark-class is missing: reinstall pyspark (`make setup`)"
        raise ToolMissingError(msg)
    return home


def _spark_env(settings: Settings, work_dir: Path | None = None) -> dict[str, str]:
    home = spark_home()
    env = {"SPARK_HOME": str(home), "SPARK_LOCAL_IP": LOCAL_HOST,
           "SPARK_DAEMON_MEMORY": SPARK_DAEMON_HEAP, "PYSPARK_PYTHON": sys.executable,
           "SPARK_NO_DAEMONIZE": "1",
           # no REST submission server (it would take port 6066 whatever the base port)
           "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"}
    if work_dir is not None:
        env["SPARK_WORKER_DIR"] = str(work_dir)
    return env


def http_json(url: str, timeout: float = 2.0) -> Any:
    import httpx

    response = httpx.get(url, timeout=timeout, follow_redirects=True)
    response.raise_for_status()
    return response.json()


class SparkMasterService(Service):
    name = "spark-master"
    marker = "org.apache.spark.deploy.master.Master"
    stage = 1

    @property
    def group(self) -> str:
        return "spark"

    @property
    def port(self) -> int:
        return self.settings.cluster_ports.spark_master

    @property
    def ui_url(self) -> str:
        return f"http://{LOCAL_HOST}:{self.settings.cluster_ports.spark_master_ui}"

    @property
    def address(self) -> str:
        return f"spark://{LOCAL_HOST}:{self.port}"

    @property
    def external(self) -> bool:
        return False

    def launch(self) -> Launch:
        argv = [str(spark_home() / "bin" / "spark-class"), self.marker, "--host", LOCAL_HOST,
                "--port", str(self.port), "--webui-port",
                str(self.settings.cluster_ports.spark_master_ui)]
        return Launch(argv, _spark_env(self.settings))

    def status_json(self) -> dict[str, Any]:
        """The master's JSON status page: workers, active and completed applications."""
        return dict(http_json(f"{self.ui_url}/json/"))

    def ready(self) -> bool:
        return self.status_json().get("status") == "ALIVE"


class SparkWorkerService(Service):
    marker = "org.apache.spark.deploy.worker.Worker"
    stage = 2

    def __init__(self, settings: Settings, worker: int) -> None:
        super().__init__(settings)
        self.worker = worker
        self.name = f"spark-worker-{worker}"

    @property
    def group(self) -> str:
        return "spark"

    @property
    def port(self) -> int:
        return self.settings.cluster_ports.spark_worker(self.worker)

    @property
    def ui_url(self) -> str:
        return f"http://{LOCAL_HOST}:{self.settings.cluster_ports.spark_worker_ui(self.worker)}"

    @property
    def address(self) -> str:
        return f"{LOCAL_HOST}:{self.port}"

    @property
    def external(self) -> bool:
        return False

    def launch(self) -> Launch:
        master = SparkMasterService(self.settings)
        argv = [str(spark_home() / "bin" / "spark-class"), self.marker, master.address,
                "--host", LOCAL_HOST, "--port", str(self.port), "--webui-port",
                str(self.settings.cluster_ports.spark_worker_ui(self.worker)),
                "--cores", "1", "--memory", self.settings.spark_worker_memory,
                "--work-dir", str(self.home / "work")]
        return Launch(argv, _spark_env(self.settings, self.home / "work"))

    def status_json(self) -> dict[str, Any]:
        """The worker's JSON page: its executors, running and finished."""
        return dict(http_json(f"{self.ui_url}/json/"))

    def ready(self) -> bool:
        """Registered and ALIVE at the master."""
        workers = SparkMasterService(self.settings).status_json().get("workers", [])
        return any(int(w.get("port", -1)) == self.port and w.get("state") == "ALIVE"
                   for w in workers)


class ClusterMlflowService(MlflowService):
    """`mlflow server` on PostgreSQL, artifacts in the object store, basic auth required."""

    @property
    def port(self) -> int:
        return self.settings.cluster_ports.mlflow

    @property
    def auth_config(self) -> Path:
        return self.home / "basic_auth.ini"

    def prepare(self) -> None:
        super().prepare()
        postgres = PostgresService(self.settings)
        self.auth_config.write_text(
            "[mlflow]\n"
            "default_permission = READ\n"
            f"database_uri = {postgres.database_uri('mlflow_auth')}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
            # a checked password is trusted for 60 s: without it every request (a training run
            # makes hundreds) pays a PBKDF2 hash
            "auth_cache_ttl_seconds = 60\n"
        )

    def launch(self) -> Launch:
        bin_dir = Path(sys.executable).parent
        postgres = PostgresService(self.settings)
        credentials = self.settings.mlflow_credentials
        if credentials is None:  # not reached: the cluster profile always has credentials
            msg = "set SHOPSTREAM_MLFLOW_USERNAME and SHOPSTREAM_MLFLOW_PASSWORD"
            raise ToolMissingError(msg)
        argv = [
            str(bin_dir / "mlflow"), "server", "--app-name", "basic-auth",
            "--host", LOCAL_HOST, "--port", str(self.port),
            "--backend-store-uri", postgres.database_uri("mlflow"),
            "--artifacts-destination", f"s3://{self.settings.artifacts_bucket}",
            "--serve-artifacts", "--workers", "2",
        ]
        env = {
            **self.settings.aws_env(),
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
            "PGPASSWORD": self.settings.postgres_password.get_secret_value(),
            "MLFLOW_AUTH_CONFIG_PATH": str(self.auth_config),
            "MLFLOW_AUTH_ADMIN_USERNAME": credentials[0],
            "MLFLOW_AUTH_ADMIN_PASSWORD": credentials[1],
            "MLFLOW_FLASK_SERVER_SECRET_KEY": self.secret_key(),
        }
        return Launch(argv, env)

    def secret_key(self) -> str:
        """The auth app's CSRF key: made once, kept (0600) beside the server's log."""
        import secrets

        path = self.home / "flask-secret-key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def ready(self) -> bool:
        """/health answers, and the credentials from settings are accepted."""
        import httpx

        if not super().ready():
            return False
        response = httpx.get(f"{self.address}/api/2.0/mlflow/experiments/search",
                             params={"max_results": 1}, auth=self.settings.mlflow_credentials,
                             timeout=5.0)
        return response.status_code == 200


def profile_services(settings: Settings) -> list[Service]:
    """Every process of the settings' profile, in start order (stage, then this order)."""
    if not settings.cluster:
        return [KafkaService(settings), S3Service(settings), MlflowService(settings)]
    services: list[Service] = [KafkaService(settings, n) for n in range(1, KAFKA_NODES + 1)]
    services += [S3Service(settings), PostgresService(settings), SparkMasterService(settings)]
    services += [SparkWorkerService(settings, w) for w in range(1, SPARK_WORKERS + 1)]
    services.append(ClusterMlflowService(settings))
    return sorted(services, key=lambda s: s.stage)


def applications(settings: Settings) -> list[dict[str, Any]]:
    """The master's active and completed applications (its /json page)."""
    body = SparkMasterService(settings).status_json()
    return [*body.get("activeapps", []), *body.get("completedapps", [])]


def executors_by_worker(settings: Settings, app_id: str) -> dict[str, int]:
    """How many executors (running or finished) of ``app_id`` each worker ran."""
    counts = {}
    for w in range(1, SPARK_WORKERS + 1):
        page = SparkWorkerService(settings, w).status_json()
        executors = [*page.get("executors", []), *page.get("finishedexecutors", [])]
        counts[f"spark-worker-{w}"] = sum(1 for e in executors if e.get("appid") == app_id)
    logger.debug("executors of %s: %s", app_id, json.dumps(counts))
    return counts
