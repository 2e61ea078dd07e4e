"""The cluster profile's effective endpoints, replication and credentials come from settings."""

from __future__ import annotations

import os

import pytest

from infra.topics import topic_spec
from shopstream.profiles import ClusterPorts
from shopstream.settings import Settings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith(("SHOPSTREAM_", "MLFLOW_"))]:
        monkeypatch.delenv(var)


def test_local_profile_is_the_default_and_unchanged() -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.profile == "local"
    assert (s.kafka_bootstrap, s.spark_master_url) == ("127.0.0.1:9092", "local[*]")
    assert (s.replication_factor, s.min_insync_replicas) == (1, None)
    assert topic_spec(s) == {"num_partitions": s.topic_partitions, "replication_factor": 1}
    assert s.mlflow_credentials is None and s.mlflow_env() == {}
    assert s.services_dir == s.data_dir / "services"


def test_cluster_profile_points_every_client_at_the_cluster() -> None:
    s = Settings(profile="cluster", cluster_base_port=30000,
                 _env_file=None)  # type: ignore[call-arg]
    assert s.kafka_bootstrap == "127.0.0.1:30000,127.0.0.1:30001,127.0.0.1:30002"
    assert s.spark_master_url == "spark://127.0.0.1:30020"
    assert s.tracking_uri == "http://127.0.0.1:30040"
    assert s.s3_endpoint == "http://127.0.0.1:30050"
    assert topic_spec(s)["replication_factor"] == 3
    assert topic_spec(s)["configs"] == {"min.insync.replicas": "2"}
    assert s.services_dir == s.data_dir / "cluster" / "services"
    assert set(s.mlflow_env()) == {"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"}


def test_explicit_settings_win_over_the_profile() -> None:
    s = Settings(profile="cluster", spark_master="spark://spark.example:7077",
                 topic_replication_factor=2, mlflow_username="ci", mlflow_password="pw-123456789",
                 _env_file=None)  # type: ignore[call-arg]
    assert s.spark_master_url == "spark://spark.example:7077"
    assert s.replication_factor == 2
    assert s.mlflow_env() == {"MLFLOW_TRACKING_USERNAME": "ci",
                              "MLFLOW_TRACKING_PASSWORD": "pw-123456789"}
    assert s.masked()["mlflow_password"] == "***"


def test_cluster_ports_do_not_collide() -> None:
    ports = ClusterPorts(40000).all()
    assert len(set(ports.values())) == len(ports)
    assert all(40000 <= p < 40060 for p in ports.values())


def test_base_port_leaves_room_for_the_block() -> None:
    with pytest.raises(ValueError, match="base port"):
        Settings(cluster_base_port=65500, _env_file=None)  # type: ignore[call-arg]


def test_mlflow_credentials_reach_the_scoring_servers_env() -> None:
    from serving.scoring import scoring_env

    s = Settings(mlflow_username="ci", mlflow_password="pw-123456789",
                 _env_file=None)  # type: ignore[call-arg]
    env = scoring_env(s, workers=1)
    assert (env["MLFLOW_TRACKING_USERNAME"], env["MLFLOW_TRACKING_PASSWORD"]) == \
        ("ci", "pw-123456789")
    plain = scoring_env(Settings(_env_file=None), workers=1)  # type: ignore[call-arg]
    assert "MLFLOW_TRACKING_PASSWORD" not in plain or plain["MLFLOW_TRACKING_PASSWORD"] == \
        os.environ.get("MLFLOW_TRACKING_PASSWORD")
