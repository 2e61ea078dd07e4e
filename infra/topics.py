"""The project's Kafka topics, created explicitly (never through the broker's auto-create).

Producing to a topic that does not exist makes kafka-python log ``Topic … not found in cluster
metadata`` at ERROR while the broker auto-creates it with whatever defaults it has. Both the
local stack (after Kafka answers) and the producer (before its first send) call
:func:`ensure_topics` instead: it creates the missing topics with the partitions and replication
factor from Settings and waits until they are in the broker's metadata. It is idempotent, and a
topic that exists is left as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from shopstream.errors import ServiceError
from shopstream.kafka_clients import client_config
from shopstream.settings import Settings

logger = logging.getLogger(__name__)

ADMIN_TIMEOUT_MS = 30_000


def project_topics(settings: Settings) -> tuple[str, ...]:
    """The events topic and its dead-letter topic."""
    return tuple(dict.fromkeys((settings.topic, settings.dlq_topic)))


def topic_spec(settings: Settings) -> dict[str, Any]:
    """How a new project topic is created (kafka-python's create_topics dict form)."""
    spec: dict[str, Any] = {"num_partitions": settings.topic_partitions,
                            "replication_factor": settings.replication_factor}
    if settings.min_insync_replicas is not None:
        spec["configs"] = {"min.insync.replicas": str(settings.min_insync_replicas)}
    return spec


def ensure_topics(settings: Settings, topics: Iterable[str] | None = None) -> list[str]:
    """Create the missing ones of ``topics`` (default: the project's); returns those created."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    wanted = list(dict.fromkeys(topics or project_topics(settings)))
    try:
        admin = KafkaAdminClient(**client_config(settings, client_id="shopstream-admin",
                                                 request_timeout_ms=ADMIN_TIMEOUT_MS))
    except KafkaError as e:
        msg = (f"cannot connect to Kafka at {settings.kafka_bootstrap} to create topics: {e}. "
               "Start the local stack (`shopstream stack up`) or pass --kafka HOST:PORT.")
        raise ServiceError(msg) from e
    try:
        return _create_missing(admin, wanted, topic_spec(settings))
    except KafkaError as e:
        msg = f"creating Kafka topics {wanted} at {settings.kafka_bootstrap} failed: {e!r}"
        raise ServiceError(msg) from e
    finally:
        admin.close()


def _create_missing(admin: Any, wanted: list[str], spec: dict[str, Any]) -> list[str]:
    missing = [t for t in wanted if t not in set(admin.list_topics())]
    if not missing:
        return []
    response = admin.create_topics({t: dict(spec) for t in missing}, timeout_ms=ADMIN_TIMEOUT_MS,
                                   raise_errors=False)
    created, failed = created_or_failed(response)
    if failed:
        msg = "; ".join(f"{name}: {reason}" for name, reason in failed.items())
        raise ServiceError(f"Kafka refused to create topic(s): {msg}")
    admin.wait_for_topics(missing, timeout_ms=ADMIN_TIMEOUT_MS)
    for name in created:
        logger.info("created Kafka topic %s (%s)", name, spec)
    return created


def created_or_failed(response: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """(topics created, {topic: reason} for real failures) from a CreateTopics response.
    TopicAlreadyExists is no failure: another process created it after our listing."""
    from kafka.errors import TopicAlreadyExistsError

    created: list[str] = []
    failed: dict[str, str] = {}
    for topic in response.get("topics", []):
        name, code = topic.get("name", ""), int(topic.get("error_code") or 0)
        if code == 0:
            created.append(name)
        elif code != TopicAlreadyExistsError.errno:
            failed[name] = str(topic.get("error_message") or f"error code {code}")
    return created, failed
