"""Topic creation plan and CreateTopics response reading, without a broker."""

from __future__ import annotations

import pytest

from infra.topics import created_or_failed, project_topics, topic_spec
from shopstream.settings import Settings


def test_topics_and_spec_come_from_settings() -> None:
    settings = Settings(topic="t", dlq_topic="t-dlq", topic_partitions=6,
                        topic_replication_factor=3, _env_file=None)  # type: ignore[call-arg]
    assert project_topics(settings) == ("t", "t-dlq")
    assert topic_spec(settings) == {"num_partitions": 6, "replication_factor": 3}


def test_replication_factor_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Settings(topic_replication_factor=0, _env_file=None)  # type: ignore[call-arg]


def test_already_existing_is_no_failure_but_other_errors_are() -> None:
    response = {"topics": [
        {"name": "new", "error_code": 0, "error_message": None},
        {"name": "raced", "error_code": 36, "error_message": "Topic 'raced' already exists."},
        {"name": "bad", "error_code": 38, "error_message": "Replication factor: 3 larger than "
                                                          "available brokers: 1."},
    ]}
    created, failed = created_or_failed(response)
    assert created == ["new"]
    assert failed == {"bad": "Replication factor: 3 larger than available brokers: 1."}
