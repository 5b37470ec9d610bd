"""Pokes: tell connected agents that their streams have new changes (ChangesAvailable).

Gateway room: watches stream heads through the change-log port (in threads) and offers a
frame to every live session bound to a stream whose head moved past what that session was
last told. An append through this gateway (the publish service) wakes the watch at once;
a poll of the heads is the fallback for appends by other processes (`data import`, another
gateway). Offering never waits: a session whose outbox is full is closed by `Session.offer`
and its agent pulls after it reconnects, so one slow store never stalls the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ameide_core_proto.process.commerce.v1 import edge_pb2, records_pb2, sync_pb2
from cloud.gateway.sessions import Session, SessionRegistry
from cloud.gateway.sync import SiteBindings, site_bindings
from cloud.ports import ChangeLogPort, StorePort

logger = logging.getLogger(__name__)


class WakingChangeLog:
    """A change-log port that wakes `on_append` after every append (any thread)."""

    def __init__(self, changes: ChangeLogPort, on_append: Any) -> None:
        self._changes = changes
        self._on_append = on_append

    def append(
        self,
        changes_in: Sequence[records_pb2.Change],
        publish_id: str | None = None,
        at: datetime | None = None,
    ) -> Any:  # the port's AppendResult
        result = self._changes.append(changes_in, publish_id, at)
        if result.appended:
            self._on_append()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._changes, name)


class HeadWatcher:
    """Sends ChangesAvailable with the new heads to the sessions bound to a stream."""

    def __init__(
        self, store: StorePort, sessions: SessionRegistry, *, poll_interval: float = 0.5
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._told: dict[Session, dict[str, int]] = {}
        self._bindings: dict[Session, SiteBindings] = {}

    def wake(self) -> None:
        """Changes landed (safe from any thread)."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._wake.set)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="head-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.poke_once()
            except Exception:
                logger.exception("head watch failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)

    async def poke_once(self) -> int:
        """Offer ChangesAvailable where a head moved; how many sessions were poked."""
        live = [s for s in self._sessions.live() if s.closed_reason is None]
        for gone in set(self._told) - set(live):
            self._told.pop(gone, None)
            self._bindings.pop(gone, None)
        if not live:
            return 0
        for session in list(live):
            if session not in self._bindings:
                try:
                    self._bindings[session] = await asyncio.to_thread(
                        site_bindings, self._store, session.site_id
                    )
                except Exception:  # one site's trouble must not stop the others' pokes
                    logger.exception("no bindings for site %s; not poking it", session.site_id)
                    live.remove(session)
        streams = sorted({stream for b in self._bindings.values() for stream in b.down})
        heads = await asyncio.to_thread(self._heads, streams)
        poked = 0
        for session in live:
            told = self._told.setdefault(session, {})
            fresh = [
                sync_pb2.StreamCheckpoint(stream=stream, applied_seq=heads[stream])
                for stream in sorted(self._bindings[session].down)
                if heads.get(stream, 0) > told.get(stream, 0)
            ]
            if not fresh:
                continue
            frame = edge_pb2.ConnectResponse(
                changes_available=edge_pb2.ChangesAvailable(heads=fresh)
            )
            if session.offer(frame):
                told.update({c.stream: c.applied_seq for c in fresh})
                poked += 1
        return poked

    def _heads(self, streams: Sequence[str]) -> dict[str, int]:
        """Each stream's head (seqs are per stream: every scope shares it); blocking."""
        return {stream: self._store.changes.head(stream) for stream in streams}
