"""One typed settings object for every stage, read from SHOPSTREAM_* variables and a .env file.

Build it on demand with ``Settings()`` (or ``load_settings(overrides)`` from the CLI); nothing here
runs at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOST = "127.0.0.1"


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
    )

    # Where local services keep their data, logs and pid files.
    data_dir: Path = Field(default=PROJECT_ROOT / "data")
    mlruns_dir: Path = Field(default=PROJECT_ROOT / "mlruns")
    jars_dir: Path = Field(default=PROJECT_ROOT / "infra" / "jars")
    java_bin: str = "java"

    # Kafka. None → the local broker on kafka_port.
    kafka_bootstrap_servers: str | None = None
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    topic: str = "retail-events"
    dlq_topic: str = "retail-events-dlq"
    topic_partitions: int = 4
    topic_replication_factor: int = 1
    consumer_group: str = "shopstream-batcher"

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

    # Spark.
    spark_master: str = "local[*]"
    spark_driver_memory: str = "4g"
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
                     "spark_shuffle_partitions")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
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
    def kafka_bootstrap(self) -> str:
        return self.kafka_bootstrap_servers or f"{LOCAL_HOST}:{self.kafka_port}"

    @property
    def s3_endpoint(self) -> str:
        return self.s3_endpoint_url or f"http://{LOCAL_HOST}:{self.s3_port}"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"http://{LOCAL_HOST}:{self.mlflow_port}"

    @property
    def services_dir(self) -> Path:
        return self.data_dir / "services"

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
        }
        return out

    def aws_env(self) -> dict[str, str]:
        """Environment variables that point boto3 / MLflow / Hadoop at the object store."""
        return {
            "AWS_ACCESS_KEY_ID": self.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": self.s3_secret_key.get_secret_value(),
            "AWS_DEFAULT_REGION": self.s3_region,
            "AWS_REGION": self.s3_region,
            "MLFLOW_S3_ENDPOINT_URL": self.s3_endpoint,
        }


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build Settings from the environment, then apply explicit overrides (CLI flags)."""
    clean = {k: v for k, v in (overrides or {}).items() if v is not None}
    try:
        return Settings(**clean)
    except ValueError as e:
        from shopstream.errors import ConfigError

        msg = f"invalid settings: {e}. Fix the SHOPSTREAM_* variable or flag named above."
        raise ConfigError(msg) from e
