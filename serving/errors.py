"""Errors of the serving stage. Messages say what failed and what the operator can do."""

from __future__ import annotations

from shopstream.errors import ServiceError, ShopstreamError


class ServingError(ShopstreamError):
    """Root of serving's own errors."""


class ModelUnavailableError(ServingError):
    """A model's scoring server cannot answer now (down, restarting, never started)."""

    def __init__(self, role: str, reason: str) -> None:
        self.role = role
        self.reason = reason
        super().__init__(f"model '{role}' is unavailable: {reason}. Retry shortly.")


class ModelResponseError(ServingError):
    """A scoring server answered, but not with what the pyfunc contract promises."""

    def __init__(self, role: str, reason: str) -> None:
        self.role = role
        self.reason = reason
        super().__init__(f"model '{role}' returned an unusable answer: {reason}")


class ScoringServerError(ServiceError, ServingError):
    """A scoring server could not be started or did not become ready."""
