"""Errors of the pipelines stage. Every message says what to do next."""

from shopstream.errors import ShopstreamError


class PipelinesError(ShopstreamError):
    """Root of the errors the training pipelines raise on purpose."""


class NoDataError(PipelinesError):
    """The selected batches / file / date range hold no (or too few) events."""


class PromotionError(PipelinesError):
    """A registered model / version / alias needed for promotion does not exist."""
