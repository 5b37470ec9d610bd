"""Outbox room: the durable outbox of records going up (sales, returns, stock adjustments).

Owns `data_dir/state/outbox.db`. Every method is a coroutine whose disk work runs off the
event loop: writes on the outbox's own writer thread (`synchronous=FULL`, so `record` returns
only once the record is on disk), reads on reader threads.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.outbox import _records
from edge_agent.outbox._records import OutboxBatch, Recorded, RefusedRecord
from edge_agent.outbox._schema import connect_outbox_writer, outbox_path
from edge_agent.projection._errors import translate
from edge_agent.projection._readers import ReaderPool
from edge_agent.projection._records import now_text
from edge_agent.projection._schema import connect_reader
from edge_agent.projection._writer import WriterThread

DEFAULT_BATCH_LIMIT = 500
# Below the gateway's default max_message_bytes (256 KiB), with room to spare.
DEFAULT_BATCH_MAX_BYTES = 192 * 1024


class Outbox:
    """The outbox of one agent; build it with `await Outbox.open(data_dir)`."""

    def __init__(self, path: Path, writer: WriterThread, readers: ReaderPool) -> None:
        self.path = path
        self._writer = writer
        self._readers = readers
        self._pending = 0
        self._refused: list[RefusedRecord] = []

    @classmethod
    async def open(cls, data_dir: Path, *, busy_timeout_seconds: float = 5.0) -> Outbox:
        path = outbox_path(data_dir)
        writer = WriterThread(path, busy_timeout_seconds, connect=connect_outbox_writer)
        await writer.start()
        outbox = cls(path, writer, ReaderPool(path, busy_timeout_seconds))
        try:
            # Records refused by an earlier run get another chance: the limits may be larger.
            await writer.run(_records.unrefuse)
            outbox._pending = await outbox.outbox_pending()
        except BaseException:
            await outbox.close()
            raise
        return outbox

    async def close(self) -> None:
        await self._writer.stop()
        await self._readers.stop()

    async def record(self, upstream: sync_pb2.UpstreamRecord) -> Recorded:
        """Store a validated record durably; `newly_recorded=False` (nothing written) when
        the same record was stored before; `OutboxConflict` for another record under its id."""
        now = now_text()
        # Concurrent POS calls share one commit (one flush); each is on disk when it returns.
        done = await self._writer.run(lambda conn: _records.record(conn, upstream, now), group=True)
        if done.newly_recorded:
            self._pending += 1
        return done

    async def pending(
        self,
        limit: int = DEFAULT_BATCH_LIMIT,
        max_bytes: int = DEFAULT_BATCH_MAX_BYTES,
        after: int = 0,
    ) -> OutboxBatch | None:
        """The next batch to push, in recording order (the same batch id until marked sent),
        its PushRecordsRequest within `max_bytes`, after position `after` (the last record
        of a batch still in flight); records refused on the way are named in it."""
        return self._counted(
            await self._writer.run(lambda conn: _records.pending(conn, limit, max_bytes, after))
        )

    async def mark_sent(self, batch_id: str) -> int:
        now = now_text()
        marked = await self._writer.run(lambda conn: _records.mark_sent(conn, batch_id, now))
        self._pending = max(0, self._pending - marked)
        return marked

    async def mark_sent_and_next(
        self,
        batch_id: str,
        limit: int = DEFAULT_BATCH_LIMIT,
        max_bytes: int = DEFAULT_BATCH_MAX_BYTES,
        after: int = 0,
    ) -> tuple[int, OutboxBatch | None]:
        """`mark_sent`, then `pending`, in one transaction: one commit and one turn on the
        writer (behind the POS group commits) per pushed batch instead of two."""
        now = now_text()

        def job(conn: sqlite3.Connection) -> tuple[int, OutboxBatch | None]:
            marked = _records.mark_sent(conn, batch_id, now)
            return marked, _records.pending(conn, limit, max_bytes, after)

        marked, batch = await self._writer.run(job)
        self._pending = max(0, self._pending - marked)
        return marked, self._counted(batch)

    async def split(self, batch_id: str, gateway_error: str) -> RefusedRecord | None:
        """The gateway refused `batch_id` as too large: halve it (see `_records.split`); the
        record refused for good when the batch held only one."""
        refused = await self._writer.run(lambda conn: _records.split(conn, batch_id, gateway_error))
        if refused is not None:
            self._note_refused((refused,))
        return refused

    def _counted(self, batch: OutboxBatch | None) -> OutboxBatch | None:
        if batch is not None and batch.refused:
            self._note_refused(batch.refused)
        return batch

    def _note_refused(self, refused: tuple[RefusedRecord, ...]) -> None:
        self._pending = max(0, self._pending - len(refused))
        self._refused = (self._refused + list(refused))[-20:]

    def refused_now(self) -> list[RefusedRecord]:
        """Records refused for good since the agent started (the last 20), from memory."""
        return list(self._refused)

    def pending_now(self) -> int:
        """Records not yet acknowledged, from memory (no disk): for the health page."""
        return self._pending

    async def outbox_pending(self) -> int:
        """Records not yet acknowledged by the cloud."""
        return await self._readers.run(_records.pending_count)

    async def register_day_totals(self) -> list[sync_pb2.RegisterDayTotals]:
        return await self._readers.run(_records.register_day_totals)


def read_outbox_refused(
    data_dir: Path, *, busy_timeout_seconds: float = 5.0
) -> list[RefusedRecord]:
    """For `commerce-edge status`: records refused for good and not sent (oldest 20).
    Blocking; not for an event loop."""
    path = outbox_path(data_dir)
    if not path.exists():
        return []
    try:
        conn = connect_reader(path, busy_timeout_seconds)
        try:
            return _records.refused_records(conn)
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "no such column" in str(exc):  # written by an agent before schema 2
            return []
        raise translate(exc, path, busy_timeout_seconds) from exc
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, busy_timeout_seconds) from exc


def read_outbox_pending(data_dir: Path, *, busy_timeout_seconds: float = 5.0) -> int | None:
    """For `commerce-edge status` (its own process): records not yet sent; None when there
    is no outbox yet. Blocking; not for an event loop."""
    path = outbox_path(data_dir)
    if not path.exists():
        return None
    try:
        conn = connect_reader(path, busy_timeout_seconds)
        try:
            return _records.pending_count(conn)
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, busy_timeout_seconds) from exc
