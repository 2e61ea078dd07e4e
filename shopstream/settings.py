"""One typed settings object for every stage, read from SHOPSTREAM_* variables and a .env file.

Build it on demand with ``Settings()`` (or ``load_settings(overrides)`` from the CLI); nothing here
runs at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shopstream.profiles import KAFKA_NODES, ClusterPorts, Profile

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")
SSL_PROTOCOLS = ("SSL", "SASL_SSL")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOST = "127.0.0.1"
# The cluster profile's MLflow admin when SHOPSTREAM_MLFLOW_USERNAME/PASSWORD are not set.
CLUSTER_MLFLOW_USER = "shopstream"
CLUSTER_MLFLOW_PASSWORD = "shopstream-mlflow-secret"


class ValidationThresholds(BaseModel):
    """What a candidate version must meet to take the `production` alias (relative changes of
    the model's main metric, direction-aware: "lift" always means "better")."""

    # candidate ≥ best baseline scored in the same run * (1 + this); None = not checked.
    min_lift_over_baseline: float | None = None
    # candidate may be at most this fraction worse than the champion on the same holdout.
    max_drop_vs_champion: float = Field(default=0.0, ge=0.0, le=1.0)
    # an absolute floor (a ceiling for lower-is-better metrics); None = not checked.
    min_score: float | None = None

    def merged(self, override: ValidationThresholds | None) -> ValidationThresholds:
        """These thresholds with the fields `override` sets replaced."""
        if override is None:
            return self
        return self.model_copy(update={k: getattr(override, k)
                                       for k in override.model_fields_set})


class Settings(BaseSettings):
    """Effective configuration. Unset endpoints mean "use the local stack started by shopstream"."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPSTREAM_",
        # The project's .env, then one in the working directory (which wins where both set a
        # value): commands run from a subfolder or by a service read the same settings.
        env_file=(PROJECT_ROOT / ".env", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        # a failed check must not echo every setting (secrets included) back in its message
        hide_input_in_errors=True,
    )

    # Where local services keep their data, logs and pid files.
    data_dir: Path = Field(default=PROJECT_ROOT / "data")
    mlruns_dir: Path = Field(default=PROJECT_ROOT / "mlruns")
    jars_dir: Path = Field(default=PROJECT_ROOT / "infra" / "jars")
    java_bin: str = "java"

    # Which stack `shopstream stack` runs and the unset endpoints point at: "local" (one
    # process per service) or "cluster" (see docs/cluster.md; its ports count from
    # cluster_base_port, its files live under <data_dir>/cluster).
    profile: Profile = "local"
    cluster_base_port: int = 19100

    # Kafka. None → the local broker on kafka_port (the cluster profile: its 3 nodes).
    kafka_bootstrap_servers: str | None = None
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    topic: str = "retail-events"
    dlq_topic: str = "retail-events-dlq"
    topic_partitions: int = 4
    # None → 1 on the local profile, 3 (min.insync.replicas 2) on the cluster profile.
    topic_replication_factor: int | None = None
    topic_min_insync_replicas: int | None = None
    consumer_group: str = "shopstream-batcher"
    # Security of every Kafka client (producer, consumer, admin); see shopstream/kafka_clients.
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: KafkaSaslMechanism | None = None
    kafka_sasl_username: SecretStr | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None

    # S3 object store. None → the local S3Proxy on s3_port.
    s3_endpoint_url: str | None = None
    s3_port: int = 9000
    s3_access_key: str = "shopstream"
    s3_secret_key: SecretStr = SecretStr("shopstream-secret")
    s3_region: str = "us-east-1"
    events_bucket: str = "retail-events"
    artifacts_bucket: str = "mlflow-artifacts"
    batches_prefix: str = "batches"

    # MLflow. None → the local tracking server on mlflow_port.
    mlflow_tracking_uri: str | None = None
    mlflow_port: int = 5000
    experiment_name: str = "shopstream"
    # Basic-auth credentials of the tracking server (the cluster profile's server requires
    # them); every MLflow client the project makes gets them as MLFLOW_TRACKING_USERNAME/…
    mlflow_username: str | None = None
    mlflow_password: SecretStr | None = None
    # The cluster profile's PostgreSQL (MLflow's backend store); None → found on PATH or under
    # /usr/lib/postgresql/*/bin.
    postgres_bin_dir: Path | None = None
    postgres_password: SecretStr = SecretStr("shopstream-postgres")

    # Spark. None → local[*] (the cluster profile: its standalone master).
    spark_master: str | None = None
    spark_driver_memory: str = "4g"
    spark_executor_memory: str = "768m"
    spark_worker_memory: str = "1g"
    spark_shuffle_partitions: int = 8
    spark_ui: bool = False
    spark_conf: dict[str, str] = Field(default_factory=dict)

    # Ingestion.
    batch_size: int = 10_000
    events_file: Path = Field(default=PROJECT_ROOT / "data" / "raw" / "events.csv")

    # Serving.
    api_host: str = LOCAL_HOST
    api_port: int = 8001
    scoring_base_port: int = 5101
    api_key: SecretStr | None = None

    # Promotion's validation gate, per registered model type (JSON in
    # SHOPSTREAM_VALIDATION_THRESHOLDS, e.g. '{"<model type>": {"min_lift_over_baseline": 0.05}}');
    # a field left out keeps the model's own default (its spec). See docs/pipelines.md.
    validation_thresholds: dict[str, ValidationThresholds] = Field(default_factory=dict)
    # Population stability index above which a run's data counts as shifted against the
    # champion's training window (0.1 = some shift, 0.25 = large, by the usual rule of thumb).
    data_shift_psi_limit: float = 0.2

    # How long `stack up` waits for each service to answer.
    startup_timeout_s: float = 120.0

    # Log files of `shopstream demo`'s stages (None → <data_dir>/logs).
    logs_dir: Path | None = None
    # Where a long command writes its progress as JSON for a parent to display (the demo sets
    # it for each stage it runs; see shopstream/progress_file.py).
    progress_file: Path | None = None

    @field_validator("batch_size", "topic_partitions", "topic_replication_factor",
                     "topic_min_insync_replicas", "spark_shuffle_partitions")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            msg = f"must be at least 1, got {value}"
            raise ValueError(msg)
        return value

    @field_validator("kafka_port", "kafka_controller_port", "s3_port", "mlflow_port", "api_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            msg = f"port must be in 1..65535, got {value}"
            raise ValueError(msg)
        return value

    @field_validator("cluster_base_port")
    @classmethod
    def _base_port(cls, value: int) -> int:
        if not 1024 <= value <= 65535 - 60:
            msg = f"the cluster's base port must be in 1024..65475, got {value}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _kafka_security_complete(self) -> Settings:
        check_kafka_security(self)
        return self

    # ---- effective endpoints -------------------------------------------------------------
    @property
    def kafka_external(self) -> bool:
        return bool(self.kafka_bootstrap_servers)

    @property
    def s3_external(self) -> bool:
        return bool(self.s3_endpoint_url)

    @property
    def mlflow_external(self) -> bool:
        return bool(self.mlflow_tracking_uri)

    @property
    def cluster(self) -> bool:
        return self.profile == "cluster"

    @property
    def cluster_ports(self) -> ClusterPorts:
        return ClusterPorts(self.cluster_base_port)

    @property
    def kafka_bootstrap(self) -> str:
        if self.kafka_bootstrap_servers:
            return self.kafka_bootstrap_servers
        if self.cluster:
            ports = self.cluster_ports
            return ",".join(f"{LOCAL_HOST}:{ports.kafka(n)}" for n in range(1, KAFKA_NODES + 1))
        return f"{LOCAL_HOST}:{self.kafka_port}"

    @property
    def s3_endpoint(self) -> str:
        port = self.cluster_ports.s3 if self.cluster else self.s3_port
        return self.s3_endpoint_url or f"http://{LOCAL_HOST}:{port}"

    @property
    def tracking_uri(self) -> str:
        port = self.cluster_ports.mlflow if self.cluster else self.mlflow_port
        return self.mlflow_tracking_uri or f"http://{LOCAL_HOST}:{port}"

    @property
    def spark_master_url(self) -> str:
        if self.spark_master:
            return self.spark_master
        if self.cluster:
            return f"spark://{LOCAL_HOST}:{self.cluster_ports.spark_master}"
        return "local[*]"

    @property
    def replication_factor(self) -> int:
        return self.topic_replication_factor or (KAFKA_NODES if self.cluster else 1)

    @property
    def min_insync_replicas(self) -> int | None:
        return self.topic_min_insync_replicas or (2 if self.cluster else None)

    @property
    def mlflow_credentials(self) -> tuple[str, str] | None:
        """(username, password) for the tracking server, None when it needs none."""
        if self.mlflow_username and self.mlflow_password is not None:
            return self.mlflow_username, self.mlflow_password.get_secret_value()
        if self.cluster and not self.mlflow_external:  # the cluster profile's own server
            return CLUSTER_MLFLOW_USER, CLUSTER_MLFLOW_PASSWORD
        return None

    @property
    def profile_dir(self) -> Path:
        """The profile's own folder under the data folder (the local profile: the folder)."""
        return self.data_dir / "cluster" if self.cluster else self.data_dir

    @property
    def services_dir(self) -> Path:
        return self.profile_dir / "services"

    @property
    def log_root(self) -> Path:
        return self.logs_dir or self.data_dir / "logs"

    def masked(self) -> dict[str, Any]:
        """Every setting as plain JSON-able values, secrets replaced by '***'."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "***" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                out[name] = str(value)
            elif isinstance(value, dict):
                out[name] = {k: v.model_dump() if isinstance(v, BaseModel) else v
                             for k, v in value.items()}
            else:
                out[name] = value
        out["effective"] = {
            "kafka_bootstrap": self.kafka_bootstrap,
            "s3_endpoint": self.s3_endpoint,
            "tracking_uri": self.tracking_uri,
            "spark_master": self.spark_master_url,
            "topic_replication_factor": self.replication_factor,
            "topic_min_insync_replicas": self.min_insync_replicas,
        }
        return out

    def mlflow_env(self) -> dict[str, str]:
        """The variables an MLflow client (library or subprocess) reads its credentials from."""
        credentials = self.mlflow_credentials
        if credentials is None:
            return {}
        return {"MLFLOW_TRACKING_USERNAME": credentials[0],
                "MLFLOW_TRACKING_PASSWORD": credentials[1]}

    def aws_env(self) -> dict[str, str]:
        """Environment variables that point boto3 / MLflow / Hadoop at the object store."""
        return {
            "AWS_ACCESS_KEY_ID": self.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": self.s3_secret_key.get_secret_value(),
            "AWS_DEFAULT_REGION": self.s3_region,
            "AWS_REGION": self.s3_region,
            "MLFLOW_S3_ENDPOINT_URL": self.s3_endpoint,
        }


def check_kafka_security(settings: Settings) -> None:
    """Fail fast on a security setup that no broker would accept (Settings validates with it)."""
    protocol = settings.kafka_security_protocol
    if protocol in SASL_PROTOCOLS:
        missing = [name for name in ("kafka_sasl_mechanism", "kafka_sasl_username",
                                     "kafka_sasl_password") if getattr(settings, name) is None]
        if missing:
            names = ", ".join(f"SHOPSTREAM_{m.upper()}" for m in missing)
            msg = f"security protocol {protocol} needs {names}: set them, or use PLAINTEXT/SSL"
            raise ValueError(msg)
    elif settings.kafka_sasl_mechanism or settings.kafka_sasl_username:
        msg = (f"SASL settings are given but the security protocol is {protocol}: set "
               "SHOPSTREAM_KAFKA_SECURITY_PROTOCOL=SASL_SSL (or SASL_PLAINTEXT)")
        raise ValueError(msg)
    cafile = settings.kafka_ssl_cafile
    if cafile is not None:
        if protocol not in SSL_PROTOCOLS:
            msg = (f"a CA file is given but the security protocol is {protocol}: set "
                   "SHOPSTREAM_KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL")
            raise ValueError(msg)
        if not cafile.is_file():
            msg = f"SHOPSTREAM_KAFKA_SSL_CAFILE {cafile} is not a file"
            raise ValueError(msg)


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build Settings from the environment, then apply explicit overrides (CLI flags)."""
    clean = {k: v for k, v in (overrides or {}).items() if v is not None}
    try:
        return Settings(**clean)
    except ValueError as e:
        from shopstream.errors import ConfigError

        msg = f"invalid settings: {e}. Fix the SHOPSTREAM_* variable or flag named above."
        raise ConfigError(msg) from e
