"""The three local services: how each is configured, started and asked whether it answers."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from infra.errors import StackError
from infra.jars import classpath, require_tool
from infra.process import port_open
from shopstream.settings import LOCAL_HOST, Settings

logger = logging.getLogger(__name__)

CONF_DIR = Path(__file__).resolve().parent / "conf"
JAVA_HINT = "Install a JDK 17+ (e.g. `apt-get install openjdk-17-jdk-headless`)."


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


class Service:
    """One local service. Subclasses fill in prepare/launch/ready."""

    name: str = ""
    marker: str = ""  # a string in the process command line that proves the pid is ours

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def home(self) -> Path:
        return self.settings.services_dir / self.name

    @property
    def pid_file(self) -> Path:
        return self.home / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.home / f"{self.name}.log"

    @property
    def port(self) -> int:
        raise NotImplementedError

    @property
    def address(self) -> str:
        raise NotImplementedError

    @property
    def external(self) -> bool:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write configs, format storage: whatever must exist before the first start."""

    def launch(self) -> Launch:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def after_start(self) -> None:
        """Run once the service answers (create buckets, …)."""


class KafkaService(Service):
    name = "kafka"
    marker = "kafka.Kafka"

    @property
    def port(self) -> int:
        return self.settings.kafka_port

    @property
    def address(self) -> str:
        return self.settings.kafka_bootstrap

    @property
    def external(self) -> bool:
        return self.settings.kafka_external

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def log_dirs(self) -> Path:
        return self.home / "log-dirs"

    def _java(self, main: str, *args: str, heap: str = "512m") -> list[str]:
        java = require_tool(self.settings.java_bin, JAVA_HINT)
        cp = classpath(self.settings.jars_dir, "kafka")
        return [
            java, f"-Xmx{heap}", "-Xms128m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={CONF_DIR / 'kafka-log4j2.yaml'}",
            f"-Dkafka.logs.dir={self.home}", "-cp", cp, main, *args,
        ]

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        template = (CONF_DIR / "kafka-server.properties").read_text()
        self.config_file.write_text(
            template.format(
                port=self.settings.kafka_port,
                controller_port=self.settings.kafka_controller_port,
                log_dirs=self.log_dirs,
                partitions=self.settings.topic_partitions,
            )
        )
        if (self.log_dirs / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        argv = self._java(
            # "--cluster-id=<id>": a random id may start with "-", which argparse would read
            # as an option if it came as a separate argument
            "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c",
            str(self.config_file),
            heap="256m",
        )
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            msg = f"formatting Kafka storage failed:\n{result.stdout}\n{result.stderr}"
            raise StackError(msg)
        logger.info("formatted Kafka storage in %s (cluster %s)", self.log_dirs, cluster_id)

    def launch(self) -> Launch:
        return Launch(self._java("kafka.Kafka", str(self.config_file), heap="1g"))

    def ready(self) -> bool:
        from kafka import KafkaAdminClient

        host, _, port = self.address.split(",")[0].rpartition(":")
        if not self.external and not port_open(host, int(port)):
            return False
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
        admin = KafkaAdminClient(
            bootstrap_servers=self.address, request_timeout_ms=3000
        )
        try:
            admin.list_topics()
        finally:
            admin.close()
        return True

    def after_start(self) -> None:
        from infra.topics import ensure_topics

        ensure_topics(self.settings)


class S3Service(Service):
    name = "s3"
    marker = "org.gaul.s3proxy.Main"

    @property
    def port(self) -> int:
        return self.settings.s3_port

    @property
    def address(self) -> str:
        return self.settings.s3_endpoint

    @property
    def external(self) -> bool:
        return self.settings.s3_external

    @property
    def config_file(self) -> Path:
        return self.home / "s3proxy.properties"

    def prepare(self) -> None:
        basedir = self.home / "buckets"
        basedir.mkdir(parents=True, exist_ok=True)
        template = (CONF_DIR / "s3proxy.properties").read_text()
        self.config_file.write_text(
            template.format(
                port=self.settings.s3_port,
                access_key=self.settings.s3_access_key,
                secret_key=self.settings.s3_secret_key.get_secret_value(),
                basedir=basedir,
            )
        )

    def launch(self) -> Launch:
        java = require_tool(self.settings.java_bin, JAVA_HINT)
        cp = classpath(self.settings.jars_dir, "s3proxy")
        argv = [java, "-Xmx512m", f"-Dlogback.configurationFile={CONF_DIR / 's3proxy-logback.xml'}",
                "-cp", cp, self.marker, "--properties", str(self.config_file)]
        return Launch(argv)

    def ready(self) -> bool:
        from infra.s3 import s3_client

        s3_client(self.settings).list_buckets()
        return True

    def after_start(self) -> None:
        from infra.s3 import ensure_buckets

        ensure_buckets(self.settings)


class MlflowService(Service):
    name = "mlflow"
    marker = "mlflow"

    @property
    def port(self) -> int:
        return self.settings.mlflow_port

    @property
    def address(self) -> str:
        return self.settings.tracking_uri

    @property
    def external(self) -> bool:
        return self.settings.mlflow_external

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.settings.mlruns_dir.mkdir(parents=True, exist_ok=True)

    def launch(self) -> Launch:
        bin_dir = Path(sys.executable).parent
        db = self.settings.mlruns_dir / "mlflow.db"
        argv = [
            str(bin_dir / "mlflow"), "server",
            "--host", LOCAL_HOST, "--port", str(self.settings.mlflow_port),
            "--backend-store-uri", f"sqlite:///{db}",
            "--artifacts-destination", f"s3://{self.settings.artifacts_bucket}",
            "--serve-artifacts", "--workers", "2",
        ]
        env = {**self.settings.aws_env(), "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
        return Launch(argv, env)

    def ready(self) -> bool:
        import httpx

        response = httpx.get(f"{self.address}/health", timeout=2.0)
        return response.status_code == 200


SERVICE_TYPES: dict[str, type[Service]] = {
    "kafka": KafkaService,
    "s3": S3Service,
    "mlflow": MlflowService,
}
SERVICE_NAMES = tuple(SERVICE_TYPES)
