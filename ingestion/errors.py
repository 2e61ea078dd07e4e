"""Errors of the ingestion stage. Each message says what went wrong and what to do next."""

from __future__ import annotations

from shopstream.errors import ShopstreamError


class IngestionError(ShopstreamError):
    """Root of the ingestion stage's errors."""


class InputFileError(IngestionError):
    """The events file is missing, unreadable or has an unexpected header."""


class DeliveryError(IngestionError):
    """Kafka did not acknowledge some sends (or DLQ records) within the delivery timeout."""


class BatchStoreError(IngestionError):
    """The object store refused a batch object or an index entry."""


class BatchSpecError(IngestionError):
    """A batch selection such as "1-50" could not be parsed or matched nothing."""


class GeneratorOutputError(IngestionError):
    """`shopstream generate` refused to write: the target exists and is not a generated file."""


class FidelityCompareError(IngestionError):
    """`shopstream generate --compare` could not read or classify the real sample."""
