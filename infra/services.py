"""The local services: how each is configured, started and asked whether it answers.

The cluster profile's extra processes (Spark standalone, PostgreSQL, MLflow with basic auth) are
in infra/cluster.py; Kafka's nodes of both profiles are the one KafkaService here.
"""

from __future__ import annotations

import base64
import logging
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from infra.errors import StackError
from infra.jars import classpath, require_tool
from infra.process import port_open
from shopstream.profiles import KAFKA_NODES
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
    stage: int = 0  # `stack up` launches a stage's services together, then waits for them
    stop_signal: int = signal.SIGTERM

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def group(self) -> str:
        """The name `stack up NAME` selects it by (every Kafka node is "kafka")."""
        return self.name

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

    def check(self) -> None:
        """Fail before anything starts when a program the service needs is missing."""

    def prepare(self) -> None:
        """Write configs, format storage: whatever must exist before the first start."""

    def launch(self) -> Launch:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def after_start(self) -> None:
        """Run once the service answers (create buckets, …)."""


class KafkaService(Service):
    """The local profile's single KRaft node, or node 1..3 of the cluster profile's quorum."""

    marker = "kafka.Kafka"

    def __init__(self, settings: Settings, node: int | None = None) -> None:
        super().__init__(settings)
        self.node = node
        self.name = f"kafka-{node}" if node else "kafka"

    @property
    def group(self) -> str:
        return "kafka"

    @property
    def node_id(self) -> int:
        return self.node or 1

    @property
    def port(self) -> int:
        if self.node is None:
            return self.settings.kafka_port
        return self.settings.cluster_ports.kafka(self.node)

    @property
    def controller_port(self) -> int:
        if self.node is None:
            return self.settings.kafka_controller_port
        return self.settings.cluster_ports.kafka_controller(self.node)

    @property
    def voters(self) -> str:
        """controller.quorum.voters: this node alone, or every node of the cluster."""
        if self.node is None:
            return f"1@{LOCAL_HOST}:{self.controller_port}"
        ports = self.settings.cluster_ports
        return ",".join(f"{n}@{LOCAL_HOST}:{ports.kafka_controller(n)}"
                        for n in range(1, KAFKA_NODES + 1))

    @property
    def address(self) -> str:
        if self.node is None:
            return self.settings.kafka_bootstrap
        return f"{LOCAL_HOST}:{self.port}"

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
                node_id=self.node_id,
                voters=self.voters,
                port=self.port,
                controller_port=self.controller_port,
                log_dirs=self.log_dirs,
                partitions=self.settings.topic_partitions,
                replication=self.settings.replication_factor,
                min_isr=self.settings.min_insync_replicas or 1,
            )
        )
        if (self.log_dirs / "meta.properties").exists():
            return
        cluster_id = kafka_cluster_id(self.settings)
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
        # A cluster node gets half the single node's heap: three of them share the machine.
        heap = "1g" if self.node is None else "512m"
        return Launch(self._java("kafka.Kafka", str(self.config_file), heap=heap))

    def ready(self) -> bool:
        from kafka import KafkaAdminClient

        from shopstream.kafka_clients import client_config

        host, _, port = self.address.split(",")[0].rpartition(":")
        if not self.external and not port_open(host, int(port)):
            return False
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
        admin = KafkaAdminClient(**client_config(self.settings, bootstrap_servers=self.address,
                                                 request_timeout_ms=3000))
        try:
            if self.node is None:
                admin.list_topics()
                return True
            # A cluster node answers once it is a registered broker of the quorum.
            return broker_registered(admin.describe_cluster(), self.node)
        finally:
            admin.close()

    def after_start(self) -> None:
        from infra.topics import ensure_topics

        if self.node_id == 1:  # once per stack; the cluster's node 1 waits for all three
            ensure_topics(self.settings)


def broker_registered(cluster: dict[str, object], node: int) -> bool:
    """True when DescribeCluster lists ``node`` as an unfenced broker."""
    brokers = cluster.get("brokers")
    for broker in brokers if isinstance(brokers, list) else []:
        node_id = broker.get("broker_id", broker.get("node_id"))
        if node_id is not None and int(node_id) == node and not broker.get("is_fenced"):
            return True
    return False


def kafka_cluster_id(settings: Settings) -> str:
    """The stack's KRaft cluster id, made once and kept beside the nodes' folders (every node
    of the cluster profile formats its storage with the same id)."""
    path = settings.services_dir / "kafka-cluster-id"
    if path.exists():
        return path.read_text().strip()
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cluster_id + "\n")
    return cluster_id


class S3Service(Service):
    name = "s3"
    marker = "org.gaul.s3proxy.Main"
    stage = 1

    @property
    def port(self) -> int:
        return self.settings.cluster_ports.s3 if self.settings.cluster else self.settings.s3_port

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
                port=self.port,
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
    stage = 2

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

