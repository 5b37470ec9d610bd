"""POS room, pure: what basket-lease failures mean to POS software, and lease times on the wire.

A lease refused during an update is retryable (UNAVAILABLE), a lapsed or released lease is
NOT_FOUND (open the basket's lease again), a bad TTL is INVALID_ARGUMENT.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf import timestamp_pb2

from edge_agent.errors import AgentError
from edge_agent.installer import LeaseNotFound, LeaseRefused
from shared.errors import InvalidInput, NotFound
from shared.timestamps import to_timestamp

T = TypeVar("T")


class StoreUpdating(AgentError):
    """No basket may open while an update is applied."""

    reason = "StoreUpdating"
    retryable = True


def guarded(call: Callable[[], T]) -> T:
    """Run a lease call, turning its failures into the POS API's errors."""
    try:
        return call()
    except LeaseRefused as exc:
        raise StoreUpdating(str(exc)) from exc
    except LeaseNotFound as exc:
        raise NotFound(
            f"lease {exc.args[0]!r} has expired or was released; acquire a new one"
        ) from exc
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def wall_time(monotonic_seconds: float) -> timestamp_pb2.Timestamp:
    """A lease expiry (monotonic clock) as a wall-clock timestamp."""
    left = monotonic_seconds - time.monotonic()
    return to_timestamp(datetime.fromtimestamp(time.time() + left, UTC))
