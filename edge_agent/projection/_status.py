"""Projection room: the connection status kept in memory, for the loop and the writer thread.

The event loop changes it (cheap, never waits on disk); the writer thread persists snapshots.
No I/O here; a lock guards the fields because two threads read them.
"""

from __future__ import annotations

import dataclasses
import threading

from edge_agent.projection._records import ConnectionState, now_text


class StatusBoard:
    """The current `ConnectionState` and whether the database has caught up with it."""

    def __init__(self, initial: ConnectionState) -> None:
        self._lock = threading.Lock()
        self._state = initial
        self._version = 0
        self._persisted_version = 0

    def snapshot(self) -> ConnectionState:
        with self._lock:
            return self._state

    def set_state(self, state: str, error: str | None) -> bool:
        """Record a state; `since` moves only when the state changes. True when it changed."""
        with self._lock:
            changed = state != self._state.state
            since = now_text() if changed or self._state.since is None else self._state.since
            self._state = dataclasses.replace(
                self._state, state=state, since=since, last_error=error
            )
            self._version += 1
            return changed

    def touch_contact(self) -> None:
        with self._lock:
            self._state = dataclasses.replace(self._state, last_contact_at=now_text())
            self._version += 1

    def set_generation(self, generation: int) -> None:
        with self._lock:
            if generation != self._state.config_generation:
                self._state = dataclasses.replace(self._state, config_generation=generation)

    def unpersisted(self) -> tuple[ConnectionState, int] | None:
        """The snapshot to write and its version, or None when the database is current."""
        with self._lock:
            if self._version == self._persisted_version:
                return None
            return self._state, self._version

    def mark_persisted(self, version: int) -> None:
        with self._lock:
            self._persisted_version = max(self._persisted_version, version)
