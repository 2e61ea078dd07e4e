"""The stack profiles: ``local`` (one process per service) and ``cluster`` (3 Kafka nodes, a
Spark standalone master with 2 workers, MLflow on PostgreSQL with basic auth, S3).

The cluster profile runs on 127.0.0.1 on a block of ports counted from one base port
(``SHOPSTREAM_CLUSTER_BASE_PORT``), so it can run beside the local profile; see docs/cluster.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Profile = Literal["local", "cluster"]
PROFILES: tuple[Profile, ...] = ("local", "cluster")
KAFKA_NODES = 3
SPARK_WORKERS = 2
PORT_BLOCK = 60  # ports a cluster uses from its base port


@dataclass(frozen=True)
class ClusterPorts:
    """Where each process of the cluster profile listens (offsets from the base port)."""

    base: int

    def kafka(self, node: int) -> int:
        """Client (PLAINTEXT) listener of Kafka node 1..3."""
        return self.base + node - 1

    def kafka_controller(self, node: int) -> int:
        return self.base + 10 + node - 1

    @property
    def spark_master(self) -> int:
        return self.base + 20

    @property
    def spark_master_ui(self) -> int:
        return self.base + 21

    def spark_worker(self, worker: int) -> int:
        """RPC port of Spark worker 1..2."""
        return self.base + 22 + worker - 1

    def spark_worker_ui(self, worker: int) -> int:
        return self.base + 24 + worker - 1

    @property
    def postgres(self) -> int:
        return self.base + 30

    @property
    def mlflow(self) -> int:
        return self.base + 40

    @property
    def s3(self) -> int:
        return self.base + 50

    def all(self) -> dict[str, int]:
        """Every port by process name (for status and the docs' picture)."""
        ports = {f"kafka-{n}": self.kafka(n) for n in range(1, KAFKA_NODES + 1)}
        ports |= {f"kafka-{n}-controller": self.kafka_controller(n)
                  for n in range(1, KAFKA_NODES + 1)}
        ports |= {"spark-master": self.spark_master, "spark-master-ui": self.spark_master_ui}
        for w in range(1, SPARK_WORKERS + 1):
            ports |= {f"spark-worker-{w}": self.spark_worker(w),
                      f"spark-worker-{w}-ui": self.spark_worker_ui(w)}
        return ports | {"postgres": self.postgres, "mlflow": self.mlflow, "s3": self.s3}
