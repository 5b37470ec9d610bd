"""Agent room (pure): the signals an agent reports about itself with its pulls (`AgentHealth`).

Replication lag (per stream, from the pages the gateway sent), the checksum results of the
last verification (RunDownsync, a rebuild) and error counts by kind since the process
started. The counts are totals, not deltas: a report the cloud does not record (it writes
reports best-effort) loses nothing, and after an install the counts are the new build's.

Pure in-memory state, no I/O; the parts that see errors call `error(...)`. A lock keeps it
consistent when a thread reports (it is held only for dictionary updates).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from ameide_core_proto.process.commerce.v1 import sync_pb2
from shared.timestamps import to_timestamp

POS = "pos"
PULL = "pull"
PUSH = "push"
CONTROL = "control"
INSTALL = "install"
ERROR_KINDS = (POS, PULL, PUSH, CONTROL, INSTALL)

_MAX_MESSAGE = 500


class HealthSignals:
    """What this agent process has seen of its own health so far."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: dict[str, int] = {}
        self._last_error = ""
        self._lag: dict[str, int] = {}
        self._mismatches: tuple[str, ...] = ()
        self._verified_at: datetime | None = None

    def error(self, kind: str, message: str) -> None:
        """Count one error of `kind` (one of `ERROR_KINDS`)."""
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown error kind {kind!r}; use one of {', '.join(ERROR_KINDS)}")
        with self._lock:
            self._errors[kind] = self._errors.get(kind, 0) + 1
            self._last_error = f"{kind}: {message}"[:_MAX_MESSAGE]

    def stream_lag(self, stream: str, head_seq: int, applied_seq: int) -> None:
        """Where `stream` stands after a page: `head_seq - applied_seq` changes behind."""
        with self._lock:
            self._lag[stream] = max(0, head_seq - applied_seq)

    def caught_up(self, streams: Iterable[str]) -> None:
        """A pull answered with no page for `streams`: nothing is waiting in them."""
        with self._lock:
            for stream in streams:
                self._lag[stream] = 0

    def checksums_verified(self, mismatched: Iterable[str]) -> None:
        """The rows were recomputed; `mismatched` are the streams that did not add up."""
        with self._lock:
            self._mismatches = tuple(sorted(set(mismatched)))
            self._verified_at = datetime.now(UTC)

    def errors(self) -> dict[str, int]:
        with self._lock:
            return dict(self._errors)

    def to_proto(self) -> sync_pb2.AgentHealth:
        with self._lock:
            health = sync_pb2.AgentHealth(
                replication_lag=sum(self._lag.values()),
                checksum_mismatches=list(self._mismatches),
                error_counts=dict(self._errors),
                last_error=self._last_error,
            )
            if self._verified_at is not None:
                health.checksums_verified_at.CopyFrom(to_timestamp(self._verified_at))
        return health
