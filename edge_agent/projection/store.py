"""The agent's local SQLite projection (WAL): site config, applied commands, connection state,
the downsync streams (pages applied with their checkpoints) and the reads POS software makes.

Owns `data_dir/state/edge.db`. The contract for the event loop: every method that touches
the disk is a coroutine and runs off the loop (writes on the writer thread, reads on reader
threads); `set_state`, `touch_contact` and `connection_state` are plain calls that only touch
the status kept in memory, which the writer thread persists, coalesced, in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2, records_pb2, store_site_pb2, sync_pb2
from edge_agent.errors import ProjectionError
from edge_agent.projection import (
    _apply,
    _config_copy,
    _lookups,
    _records,
    _start_check,
    _streams_state,
)
from edge_agent.projection._apply import AppliedPage
from edge_agent.projection._errors import translate
from edge_agent.projection._readers import ReaderPool
from edge_agent.projection._records import ConnectionState, StoredSiteConfig
from edge_agent.projection._schema import connect_reader, database_path
from edge_agent.projection._start_check import StartRebuild
from edge_agent.projection._status import StatusBoard
from edge_agent.projection._streams_state import StreamState
from edge_agent.projection._writer import WriterThread
from shared.checksums import TableDigest

logger = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_SECONDS = 5.0
STATUS_PERSIST_SECONDS = 1.0
"""At most one background write of the connection status per this many seconds (state
changes go at once); a crash may lose the last contact time, never an applied command."""


class Projection:
    """The projection of one agent; build it with `await Projection.open(data_dir)`."""

    def __init__(
        self,
        path: Path,
        *,
        writer: WriterThread,
        readers: ReaderPool,
        board: StatusBoard,
    ) -> None:
        self.path = path
        self._writer = writer
        self._readers = readers
        self._board = board
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._flush_in_flight = False
        self._urgent_waiting = False
        self._last_flush = -STATUS_PERSIST_SECONDS
        self._status_failing = False
        # The site config is read on every real-time decision: kept in memory, read again
        # after each apply (the version keeps a read that raced an apply from being kept).
        self._config_version = 0
        self._config_cached: tuple[int, StoredSiteConfig | None] | None = None
        self._closed = False
        self._streams: dict[str, StreamState] = {}
        self._copy_lock = asyncio.Lock()
        self.rebuilt_at_start: StartRebuild | None = None
        """Set when this start found the file missing or damaged and made a new one."""

    @classmethod
    async def open(
        cls, data_dir: Path, *, busy_timeout_seconds: float = DEFAULT_BUSY_TIMEOUT_SECONDS
    ) -> Projection:
        """Open (creating if needed) the database under `data_dir`; `ProjectionError` if not."""
        path = database_path(data_dir)
        rebuilt = await asyncio.to_thread(_start_check.check_database, path)
        writer = WriterThread(path, busy_timeout_seconds)
        await writer.start()
        readers = ReaderPool(path, busy_timeout_seconds)
        try:
            await _keep_site_config(writer, readers, path, rebuilt)
            initial = await readers.run(_records.connection_state)
            streams = await readers.run(_streams_state.stream_states)
        except BaseException:
            await readers.stop()
            await writer.stop()
            raise
        projection = cls(path, writer=writer, readers=readers, board=StatusBoard(initial))
        projection._streams = {s.stream: s for s in streams}
        projection.rebuilt_at_start = rebuilt
        return projection

    async def restore_if_gone(self) -> bool:
        """When the database file was deleted or replaced while open, re-create it at its
        path from what the agent holds (every committed row) and continue there; True when
        it did. `ProjectionError` when it could not (the agent carries on with its copy)."""
        restored = await self._writer.restore_if_gone()
        if restored:
            self._readers.reopen()
        return restored

    async def close(self) -> None:
        """Persist the last connection status, then stop the writer and reader threads."""
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            version = await self._writer.run(self._persist_status)
            if version is not None:
                self._board.mark_persisted(version)
        except ProjectionError as exc:
            logger.warning("could not record the final connection state: %s", exc)
        finally:
            await self._writer.stop()
            await self._readers.stop()

    # --- commands -----------------------------------------------------------------------------

    async def command_result(self, command_id: str) -> edge_pb2.CommandResult | None:
        """The stored result of a command already handled, else None."""
        return await self._readers.run(lambda conn: _records.command_result(conn, command_id))

    async def record_result(self, result: edge_pb2.CommandResult) -> edge_pb2.CommandResult:
        """Record the final result of a command that changed nothing; returns what is stored
        (an earlier result for the same id wins)."""
        return await self._writer.run(lambda conn: _records.record_result(conn, result))

    async def apply_site_config(
        self,
        command_id: str,
        config: store_site_pb2.SiteConfig,
        result_of: Callable[[edge_pb2.SiteConfigApplied], edge_pb2.CommandResult],
    ) -> edge_pb2.CommandResult:
        """Store `config` and the command's result (`result_of` what was kept) in one
        transaction; older generations lose; a command id seen before changes nothing."""
        try:
            result, generation = await self._writer.run(
                lambda conn: _records.apply_site_config(conn, command_id, config, result_of)
            )
        finally:
            self._config_version += 1
            self._config_cached = None
        self._board.set_generation(generation)
        await self._refresh_config_copy()
        return result

    async def _refresh_config_copy(self) -> None:
        """Keep the copy beside the file in step with the applied configuration (a failure
        only means a lost file could not be rebuilt without the cloud: said in the log)."""
        async with self._copy_lock:
            stored = await self._readers.run(_records.site_config)
            if stored is None:
                return
            copy = _config_copy.config_copy_path(self.path)
            try:
                await asyncio.to_thread(_config_copy.write_config_copy, copy, stored)
            except OSError as exc:
                logger.warning("could not keep a copy of the site configuration: %s", exc)

    async def site_config(self) -> StoredSiteConfig | None:
        cached = self._config_cached
        if cached is not None and cached[0] == self._config_version:
            return cached[1]
        version = self._config_version
        stored = await self._readers.run(_records.site_config)
        if version == self._config_version:
            self._config_cached = (version, stored)
        return stored

    async def applied_command_count(self) -> int:
        return await self._readers.run(_records.applied_command_count)

    # --- downsync streams ----------------------------------------------------------------------

    async def apply_page(self, page: sync_pb2.ChangePage) -> AppliedPage:
        """Apply one page of a stream and advance its checkpoint, in one transaction.

        `PageOutOfOrder` when it does not follow the checkpoint (nothing applied; a page
        already applied is a no-op reported as `duplicate`), `PageRefused` when it breaks the
        contract (nothing applied).
        """
        prepared = await asyncio.to_thread(_apply.prepare_page, page)
        return await self._apply_prepared(prepared)

    async def prepare_page(self, page: sync_pb2.ChangePage) -> _apply.PreparedPage:
        """Decode and check `page` on a worker thread (no database), so it can overlap the
        writer's work on the page before it; `PageRefused` when it breaks the contract."""
        return await asyncio.to_thread(_apply.prepare_page, page)

    async def apply_prepared(self, prepared: _apply.PreparedPage) -> AppliedPage:
        """The second half of `apply_page`: one transaction, checkpoint included."""
        return await self._apply_prepared(prepared)

    async def apply_pages(self, pages: Sequence[sync_pb2.ChangePage]) -> list[AppliedPage]:
        """Apply pages in order, each in its own transaction, preparing the next one on
        another thread while the writer commits the current one. Stops at the first page
        refused (raising it); the pages before it stay applied."""
        applied: list[AppliedPage] = []
        if not pages:
            return applied
        upcoming = asyncio.ensure_future(asyncio.to_thread(_apply.prepare_page, pages[0]))
        try:
            for index in range(len(pages)):
                prepared = await upcoming
                if index + 1 < len(pages):
                    upcoming = asyncio.ensure_future(
                        asyncio.to_thread(_apply.prepare_page, pages[index + 1])
                    )
                applied.append(await self._apply_prepared(prepared))
        finally:
            if not upcoming.done():
                upcoming.cancel()
                with contextlib.suppress(BaseException):
                    await upcoming
        return applied

    async def _apply_prepared(self, prepared: _apply.PreparedPage) -> AppliedPage:
        now = _records.now_text()
        stream = prepared.page.stream

        def job(conn: sqlite3.Connection) -> tuple[AppliedPage, StreamState | None]:
            applied = _apply.apply_prepared(conn, prepared, now)
            return applied, _streams_state.stream_state(conn, stream)

        applied, state = await self._writer.run(job)
        if state is not None:
            self._streams[stream] = state
        return applied

    def streams(self) -> list[StreamState]:
        """Every stream as last applied, from memory (no disk): for the health page."""
        return [self._streams[name] for name in sorted(self._streams)]

    async def stream_states(self) -> list[StreamState]:
        """Checkpoint, head, rows and running checksum of every stream seen so far."""
        return await self._readers.run(_streams_state.stream_states)

    async def scan_digest(self, stream: str) -> TableDigest:
        """The checksum of `stream` recomputed from every row (slow; tests and rebuilds)."""
        return await self._readers.run(lambda conn: _streams_state.scan_digest(conn, stream))

    # --- point-of-sale reads -------------------------------------------------------------------

    async def item_by_sku(self, sku: str) -> records_pb2.CatalogItem | None:
        return await self._readers.run(lambda conn: _lookups.item_by_sku(conn, sku))

    async def item_by_barcode(self, barcode: str) -> records_pb2.CatalogItem | None:
        return await self._readers.run(lambda conn: _lookups.item_by_barcode(conn, barcode))

    async def price_at(self, sku: str, channel: str, at_micros: int) -> records_pb2.Price | None:
        return await self._readers.run(
            lambda conn: _lookups.price_at(conn, sku, channel, at_micros)
        )

    async def active_promotions(
        self, channel: str, sku: str, at_micros: int
    ) -> list[records_pb2.Promotion]:
        return await self._readers.run(
            lambda conn: _lookups.active_promotions(conn, channel, sku, at_micros)
        )

    async def customer_by(
        self, channel: str, column: str, value: str
    ) -> records_pb2.Customer | None:
        return await self._readers.run(
            lambda conn: _lookups.customer_by(conn, channel, column, value)
        )

    # --- connection state: in memory now, on disk soon ----------------------------------------

    def set_state(self, state: str, *, error: str | None = None) -> None:
        """Record a state change; `since` moves only when the state itself changes."""
        changed = self._board.set_state(state, error)
        self._schedule_flush(urgent=changed)

    def touch_contact(self) -> None:
        """The gateway just said something."""
        self._board.touch_contact()
        self._schedule_flush(urgent=False)

    def connection_state(self) -> ConnectionState:
        return self._board.snapshot()

    def _schedule_flush(self, *, urgent: bool) -> None:
        if self._closed:
            return  # close() writes the last snapshot
        if self._flush_in_flight:
            self._urgent_waiting = self._urgent_waiting or urgent
            return  # the finishing flush schedules the next
        if self._timer is not None:
            if not urgent:
                return
            self._timer.cancel()
        delay = 0.0
        if not urgent:
            delay = max(0.0, self._last_flush + STATUS_PERSIST_SECONDS - self._loop.time())
        self._timer = self._loop.call_later(delay, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        if self._closed:
            return
        self._flush_in_flight = True
        self._last_flush = self._loop.time()
        self._writer.post(
            self._persist_status, on_done=self._flush_done, on_error=self._flush_failed
        )

    def _persist_status(self, conn: sqlite3.Connection) -> int | None:
        """Writer thread: write the newest status snapshot; its version, None if current."""
        pending = self._board.unpersisted()
        if pending is None:
            return None
        state, version = pending
        _records.write_connection_state(conn, state)
        return version

    def _flush_done(self, version: int | None) -> None:
        """Writer thread, after the commit."""
        if version is not None:
            self._board.mark_persisted(version)
        self._call_on_loop(self._flush_finished, None)

    def _flush_failed(self, error: Exception) -> None:
        """Writer thread."""
        self._call_on_loop(self._flush_finished, error)

    def _call_on_loop(
        self, callback: Callable[[Exception | None], None], arg: Exception | None
    ) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone; close() was not awaited
            self._loop.call_soon_threadsafe(callback, arg)

    def _flush_finished(self, error: Exception | None) -> None:
        self._flush_in_flight = False
        if error is not None and not self._status_failing:
            self._status_failing = True
            logger.warning(
                "could not record the connection state (kept in memory, retrying): %s",
                error,
                exc_info=not isinstance(error, ProjectionError),
            )
        elif error is None and self._status_failing:
            self._status_failing = False
            logger.info("connection state recorded again")
        urgent, self._urgent_waiting = self._urgent_waiting and error is None, False
        if self._board.unpersisted() is not None:
            self._schedule_flush(urgent=urgent)


async def _keep_site_config(
    writer: WriterThread, readers: ReaderPool, path: Path, rebuilt: StartRebuild | None
) -> None:
    """On a rebuilt file, put back the configuration kept beside it; otherwise make sure a
    configured database has that copy (databases from before copies were kept)."""
    copy = _config_copy.config_copy_path(path)
    if rebuilt is not None:
        kept = await asyncio.to_thread(_config_copy.read_config_copy, copy)
        if kept is not None:
            await writer.run(lambda conn: _records.restore_site_config(conn, kept))
        return
    if not await asyncio.to_thread(copy.exists):
        stored = await readers.run(_records.site_config)
        if stored is not None:
            try:
                await asyncio.to_thread(_config_copy.write_config_copy, copy, stored)
            except OSError as exc:
                logger.warning("could not keep a copy of the site configuration: %s", exc)


def read_start_rebuild(data_dir: Path) -> StartRebuild | None:
    """For `commerce-edge status`: the last time a start rebuilt the file, and why."""
    return _start_check.read_note(database_path(data_dir))


def read_connection_state(
    data_dir: Path, *, busy_timeout_seconds: float = DEFAULT_BUSY_TIMEOUT_SECONDS
) -> ConnectionState | None:
    """For `commerce-edge status` (its own process): the state last persisted by the agent,
    None when the agent has never run here. Blocking; not for an event loop."""
    path = database_path(data_dir)
    if not path.exists():
        return None
    try:
        conn = connect_reader(path, busy_timeout_seconds)
        try:
            return _records.connection_state(conn)
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, busy_timeout_seconds) from exc


def read_stream_states(
    data_dir: Path, *, busy_timeout_seconds: float = DEFAULT_BUSY_TIMEOUT_SECONDS
) -> list[StreamState]:
    """For `commerce-edge status`: every downsync stream as last committed; [] when the agent
    has never run here or predates replication. Blocking; not for an event loop."""
    path = database_path(data_dir)
    if not path.exists():
        return []
    try:
        conn = connect_reader(path, busy_timeout_seconds)
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < 2:
                return []
            return _streams_state.stream_states(conn)
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, busy_timeout_seconds) from exc
