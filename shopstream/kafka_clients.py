"""Security settings every Kafka client of the project gets (producer, consumer, admin).

kafka-python takes them as keyword arguments; :func:`security_config` turns the SHOPSTREAM_KAFKA_*
security settings into those, and :func:`client_config` adds the bootstrap servers. Secrets stay
SecretStr in Settings and are revealed only here, when a client is built.
"""

from __future__ import annotations

from typing import Any

from shopstream.errors import ConfigError
from shopstream.settings import SASL_PROTOCOLS, SSL_PROTOCOLS, Settings


def security_config(settings: Settings) -> dict[str, Any]:
    """kafka-python keyword arguments for the configured security protocol."""
    protocol = settings.kafka_security_protocol
    config: dict[str, Any] = {"security_protocol": protocol}
    if protocol in SASL_PROTOCOLS:
        if settings.kafka_sasl_username is None or settings.kafka_sasl_password is None:
            msg = (f"Kafka security protocol {protocol} needs SHOPSTREAM_KAFKA_SASL_USERNAME "
                   "and SHOPSTREAM_KAFKA_SASL_PASSWORD")
            raise ConfigError(msg)
        config |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username.get_secret_value(),
            "sasl_plain_password": settings.kafka_sasl_password.get_secret_value(),
        }
    if protocol in SSL_PROTOCOLS:
        config["ssl_check_hostname"] = True
        if settings.kafka_ssl_cafile is not None:
            config["ssl_cafile"] = str(settings.kafka_ssl_cafile)
    return config


def client_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """Bootstrap servers + security + ``extra``: the keyword arguments of any Kafka client."""
    return {"bootstrap_servers": settings.kafka_bootstrap, **security_config(settings), **extra}
