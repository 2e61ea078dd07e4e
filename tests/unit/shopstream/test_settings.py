"""Settings: env prefix, validation, masking, external endpoints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shopstream.errors import ConfigError
from shopstream.settings import PROJECT_ROOT, Settings, load_settings


def _clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for var in [v for v in os.environ if v.startswith("SHOPSTREAM_")]:
        monkeypatch.delenv(var)


def test_defaults_point_at_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_env(monkeypatch)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.kafka_bootstrap == "127.0.0.1:9092"
    assert s.s3_endpoint == "http://127.0.0.1:9000"
    assert s.tracking_uri == "http://127.0.0.1:5000"
    assert not (s.kafka_external or s.s3_external or s.mlflow_external)


def test_env_prefix_and_external_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("SHOPSTREAM_KAFKA_BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092")
    monkeypatch.setenv("SHOPSTREAM_MLFLOW_TRACKING_URI", "https://mlflow.example:443")
    monkeypatch.setenv("SHOPSTREAM_BATCH_SIZE", "500")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.kafka_external and s.kafka_bootstrap == "broker-1:9092,broker-2:9092"
    assert s.mlflow_external and s.tracking_uri == "https://mlflow.example:443"
    assert not s.s3_external
    assert s.batch_size == 500


def test_overrides_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPSTREAM_TOPIC", "from-env")
    assert load_settings({"topic": "from-flag"}).topic == "from-flag"
    assert load_settings({"topic": None}).topic == "from-env"


def test_invalid_values_fail_fast_with_config_error() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        load_settings({"batch_size": 0})
    with pytest.raises(ConfigError, match="port"):
        load_settings({"kafka_port": 70000})


def test_masked_hides_secrets() -> None:
    s = Settings(s3_secret_key="very-secret-value", api_key="key-123")  # type: ignore[arg-type]
    masked = s.masked()
    text = json.dumps(masked, default=str)
    assert "very-secret-value" not in text and "key-123" not in text
    assert masked["s3_secret_key"] == "***" and masked["api_key"] == "***"
    assert masked["effective"]["s3_endpoint"] == s.s3_endpoint
    assert "very-secret-value" not in repr(s)


def test_config_command_prints_one_json_object_without_secrets() -> None:
    env = {"SHOPSTREAM_S3_SECRET_KEY": "top-secret-xyz", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "shopstream", "config", "--json"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    payload = json.loads(out)
    assert payload["s3_secret_key"] == "***"
    assert "top-secret-xyz" not in out
    assert payload["topic"] == "retail-events"


def test_importing_modules_starts_nothing() -> None:
    code = (
        "import sys, threading\n"
        "import shopstream.cli, infra.stack, infra.services, pipelines.data.spark\n"
        "assert 'pyspark' not in sys.modules, 'pyspark imported at import time'\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "print('clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "clean"


def test_env_files_project_then_working_directory(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    """The project's .env is read from any working directory; one in the working directory
    wins over it (a stack started from a subfolder uses the worktree's ports)."""
    _clear_env(monkeypatch)
    files = Settings.model_config.get("env_file")
    assert isinstance(files, tuple) and files[0] == PROJECT_ROOT / ".env" and files[-1] == ".env"
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SHOPSTREAM_TOPIC=from-cwd\n")
    assert Settings().topic == "from-cwd"
    project_env = tmp_path / "project.env"
    project_env.write_text("SHOPSTREAM_TOPIC=from-project\nSHOPSTREAM_DLQ_TOPIC=project-dlq\n")
    both = Settings(_env_file=(project_env, ".env"))  # type: ignore[call-arg]
    assert (both.topic, both.dlq_topic) == ("from-cwd", "project-dlq")
