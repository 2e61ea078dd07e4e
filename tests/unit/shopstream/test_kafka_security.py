"""Kafka security settings reach every Kafka client the project makes (producer, consumer,
admin), with names kafka-python accepts; broken combinations fail when Settings are built."""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest

from ingestion.consumer import ConsumeOptions, consumer_config
from ingestion.producer import producer_config
from shopstream.kafka_clients import client_config
from shopstream.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith("SHOPSTREAM_")]:
        monkeypatch.delenv(var)


def _sasl_ssl(cafile: Path) -> Settings:
    return Settings(kafka_bootstrap_servers="b1:9093,b2:9093", kafka_security_protocol="SASL_SSL",
                    kafka_sasl_mechanism="SCRAM-SHA-512", kafka_sasl_username="alice",
                    kafka_sasl_password="s3cret-pw", kafka_ssl_cafile=cafile,
                    _env_file=None)  # type: ignore[call-arg]


def _configs(settings: Settings) -> dict[str, dict[str, Any]]:
    options = ConsumeOptions(topic="t", dlq_topic="t-dlq")
    return {"producer": producer_config(settings),
            "consumer": consumer_config(settings, options),
            "admin": client_config(settings, client_id="shopstream-admin")}


def test_plaintext_by_default_with_no_credentials() -> None:
    for name, config in _configs(Settings(_env_file=None)).items():  # type: ignore[call-arg]
        assert config["security_protocol"] == "PLAINTEXT", name
        assert not {k for k in config if k.startswith(("sasl_", "ssl_"))}, name


def test_sasl_ssl_reaches_producer_consumer_and_admin(tmp_path: Path) -> None:
    cafile = tmp_path / "ca.pem"
    cafile.write_text("-----BEGIN CERTIFICATE-----\n")
    for name, config in _configs(_sasl_ssl(cafile)).items():
        assert config["bootstrap_servers"] == "b1:9093,b2:9093", name
        assert config["security_protocol"] == "SASL_SSL", name
        assert config["sasl_mechanism"] == "SCRAM-SHA-512", name
        assert (config["sasl_plain_username"], config["sasl_plain_password"]) == \
            ("alice", "s3cret-pw"), name
        assert config["ssl_cafile"] == str(cafile), name


def test_every_key_is_one_kafka_python_knows(tmp_path: Path) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

    cafile = tmp_path / "ca.pem"
    cafile.write_text("x")
    configs = _configs(_sasl_ssl(cafile))
    for name, cls in (("producer", KafkaProducer), ("consumer", KafkaConsumer),
                      ("admin", KafkaAdminClient)):
        unknown = set(configs[name]) - set(cls.DEFAULT_CONFIG)
        assert not unknown, (name, unknown)


def test_ssl_without_sasl_sends_no_sasl_keys(tmp_path: Path) -> None:
    cafile = tmp_path / "ca.pem"
    cafile.write_text("x")
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=cafile,
                        _env_file=None)  # type: ignore[call-arg]
    config = producer_config(settings)
    assert (config["security_protocol"], config["ssl_cafile"]) == ("SSL", str(cafile))
    assert "sasl_mechanism" not in config


@pytest.mark.parametrize(("fields", "message"), [
    ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "PLAIN"},
     "SHOPSTREAM_KAFKA_SASL_USERNAME, SHOPSTREAM_KAFKA_SASL_PASSWORD"),
    ({"kafka_sasl_mechanism": "PLAIN", "kafka_sasl_username": "u", "kafka_sasl_password": "p"},
     "security protocol is PLAINTEXT"),
    ({"kafka_security_protocol": "SSL", "kafka_ssl_cafile": "/nonexistent/ca.pem"},
     "is not a file"),
])
def test_incomplete_security_fails_when_settings_are_built(fields: dict[str, str],
                                                           message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(**fields, _env_file=None)  # type: ignore[arg-type]


def test_credentials_are_masked(tmp_path: Path) -> None:
    cafile = tmp_path / "ca.pem"
    cafile.write_text("x")
    masked = _sasl_ssl(cafile).masked()
    assert masked["kafka_sasl_username"] == masked["kafka_sasl_password"] == "***"
    assert "s3cret-pw" not in repr(masked) and "alice" not in repr(masked)


def _kafka_client_calls(tree: ast.AST) -> list[ast.Call]:
    names = {"KafkaProducer", "KafkaConsumer", "KafkaAdminClient"}
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in names]


def test_every_kafka_client_in_the_project_is_built_from_the_shared_config() -> None:
    """A new KafkaProducer/Consumer/AdminClient that skips client_config would connect
    without the security settings: each call must pass **<config> built from it."""
    allowed = {"client_config", "producer_config", "consumer_config"}
    found = 0
    for package in ("ingestion", "infra", "pipelines", "serving", "shopstream"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            for call in _kafka_client_calls(ast.parse(path.read_text())):
                found += 1
                spread = [k.value for k in call.keywords if k.arg is None]
                called = {getattr(v.func, "id", None) for v in spread
                          if isinstance(v, ast.Call)}
                assert called & allowed, f"{path}:{call.lineno} builds a Kafka client itself"
    assert found >= 4  # producer, consumer, two admin clients


def test_a_failed_check_does_not_echo_secrets() -> None:
    with pytest.raises(ValueError, match="SASL_SSL needs") as caught:
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_password="pw-do-not-print",
                 s3_secret_key="s3-do-not-print", _env_file=None)  # type: ignore[arg-type]
    assert "do-not-print" not in str(caught.value)
