"""Errors of the local stack."""

from shopstream.errors import ServiceError


class StackError(ServiceError):
    """A local service could not be started, checked or stopped."""


class PortTakenError(StackError):
    """The port a local service needs is held by a process that is not ours."""


class StartupTimeoutError(StackError):
    """A service did not answer within the startup timeout."""


class ToolMissingError(StackError):
    """A required program (java, mvn) is not installed."""
