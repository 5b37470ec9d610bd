"""Connected agents: one session per site, the command pump and the revocation watch.

Gateway room: holds in-memory state of live streams; the durable command queue and the
certificate table in the cloud store remain the truth, polled here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.adapters.store.records import CommandRecord
from cloud.ports import StorePort
from shared.timestamps import to_timestamp

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Session:
    """One agent's control stream."""

    site_id: str
    serial: str
    outbox: asyncio.Queue[edge_pb2.ConnectResponse | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=256)
    )
    closed_reason: str | None = None
    sent_commands: set[tuple[str, int]] = field(default_factory=set)
    """(command id, queue seq) delivered on this stream: a re-queued command has a new seq."""

    def close(self, reason: str) -> None:
        """Ask the stream to end with `reason` (the servicer aborts with it)."""
        if self.closed_reason is None:
            self.closed_reason = reason
            with contextlib.suppress(asyncio.QueueFull):
                self.outbox.put_nowait(None)

    def offer(self, frame: edge_pb2.ConnectResponse) -> bool:
        """Queue `frame` without waiting; an agent that stopped reading is disconnected.

        Never blocking keeps one slow store from stalling the pump for every other store;
        what was not delivered stays in the durable queue for the reconnect.
        """
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self.close("the agent is not reading its control stream; reconnect")
            return False
        return True


def command_frame(record: CommandRecord) -> edge_pb2.ConnectResponse:
    """The stream frame that delivers a queued command."""
    command = edge_pb2.Command.FromString(record.payload)
    command.command_id = record.command_id
    command.issued_at.CopyFrom(to_timestamp(record.created_at))
    return edge_pb2.ConnectResponse(command=command)


class SessionRegistry:
    """Live sessions by site, plus the loops that feed and police them."""

    def __init__(self, store: StorePort, *, poll_interval: float = 0.5) -> None:
        self._store = store
        self._sessions: dict[str, Session] = {}
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._seen: dict[str, datetime] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def wake(self) -> None:
        """Hint that commands are waiting (safe from any thread)."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._wake.set)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._pump_commands(), name="command-pump"),
            asyncio.create_task(self._watch_revocations(), name="revocation-watch"),
            asyncio.create_task(self._flush_last_seen(), name="last-seen"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for session in list(self._sessions.values()):
            session.close("gateway shutting down; reconnect shortly")
        await self._flush_once()

    async def open(self, site_id: str, serial: str) -> Session:
        """Register a new stream for `site_id`, replacing an older one, and queue its backlog."""
        session = Session(site_id=site_id, serial=serial)
        previous = self._sessions.get(site_id)
        if previous is not None:
            previous.close("replaced by a newer connection from the same site")
        self._sessions[site_id] = session
        self.seen(site_id)
        backlog = await asyncio.to_thread(self._store.commands.pending_for_site, site_id)
        for record in backlog:
            await self._deliver(session, record)
        return session

    def close(self, session: Session) -> None:
        if self._sessions.get(session.site_id) is session:
            del self._sessions[session.site_id]

    def seen(self, site_id: str) -> None:
        self._seen[site_id] = datetime.now(UTC)

    def connected(self, site_id: str) -> bool:
        return site_id in self._sessions

    def live(self) -> list[Session]:
        """The open sessions, one per site (a snapshot; safe to iterate while they change)."""
        return list(self._sessions.values())

    async def _deliver(self, session: Session, record: CommandRecord) -> None:
        if (record.command_id, record.seq) in session.sent_commands:
            return
        if not session.offer(command_frame(record)):
            return
        session.sent_commands.add((record.command_id, record.seq))
        await asyncio.to_thread(
            self._store.commands.mark_delivered, record.command_id, datetime.now(UTC)
        )
        logger.info("delivered command %s to site %s", record.command_id, session.site_id)

    async def _pump_commands(self) -> None:
        cursor = 0
        while True:
            try:
                records = await asyncio.to_thread(self._store.commands.pending_after, cursor)
                for record in records:
                    cursor = max(cursor, record.seq)
                    session = self._sessions.get(record.site_id)
                    if session is not None:
                        await self._deliver(session, record)
            except Exception:
                logger.exception("command pump failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
            self._wake.clear()

    async def _watch_revocations(self) -> None:
        cursor: datetime | None = None
        while True:
            try:
                serials, cursor = await asyncio.to_thread(
                    self._store.certificates.revoked_serials_since, cursor
                )
                revoked = set(serials)
                for session in list(self._sessions.values()):
                    if session.serial in revoked:
                        logger.warning("closing stream of revoked site %s", session.site_id)
                        session.close(
                            f"certificate {session.serial} of site {session.site_id} was revoked"
                        )
            except Exception:
                logger.exception("revocation watch failed; retrying")
            await asyncio.sleep(self._poll_interval)

    async def _flush_once(self) -> None:
        if not self._seen:
            return
        seen, self._seen = self._seen, {}
        latest = max(seen.values())
        await asyncio.to_thread(self._store.sites.touch_last_seen, sorted(seen), latest)

    async def _flush_last_seen(self) -> None:
        while True:
            await asyncio.sleep(2.0)
            try:
                await self._flush_once()
            except Exception:
                logger.exception("could not record last contact; retrying")
