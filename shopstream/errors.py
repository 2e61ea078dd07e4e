"""The root exception of shopstream. Every package's errors derive from ShopstreamError.

Messages are written for the person running the command: say what went wrong and what to do.
"""


class ShopstreamError(Exception):
    """Root of every error shopstream raises on purpose."""


class ConfigError(ShopstreamError):
    """A setting is missing or invalid."""


class ServiceError(ShopstreamError):
    """A service (Kafka, S3, MLflow, a scoring server) is unreachable or failed to start."""


class ModelInputError(ShopstreamError):
    """A served model got an input frame it cannot score (missing column, bad mode)."""
