"""POS room, pure: the one place that turns the agent's errors into gRPC status codes for POS
software, saying in the message whether trying again can help."""

from __future__ import annotations

import grpc

from edge_agent.errors import AgentError, OutboxConflict
from shared.errors import CommerceError, InvalidInput, NotFound


def status_of(error: CommerceError) -> tuple[grpc.StatusCode, str]:
    """The status code and message a POS client gets for `error`."""
    if isinstance(error, InvalidInput):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    if isinstance(error, NotFound):
        return grpc.StatusCode.NOT_FOUND, str(error)
    if isinstance(error, OutboxConflict):
        return grpc.StatusCode.ALREADY_EXISTS, str(error)
    if isinstance(error, AgentError) and error.retryable:
        return grpc.StatusCode.UNAVAILABLE, f"{error} (retrying can help)"
    return grpc.StatusCode.FAILED_PRECONDITION, f"{error} (retrying the same call will not help)"
