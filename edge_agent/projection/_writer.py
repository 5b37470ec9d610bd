"""Projection room: the writer thread, sole owner of the database's one read-write connection.

Jobs are functions of the connection; each runs in its own `BEGIN IMMEDIATE` transaction on
this thread, in the order submitted, and its value or error goes back to the submitting event
loop through a future. Jobs submitted with `group=True` that are queued back to back share one
transaction and one commit (group commit): each runs in its own savepoint, so a job that fails
leaves the others' writes intact, and every future is settled only after the shared commit.
Only this module's thread touches the write connection; when the database file is deleted
under it, `restore_if_gone` re-creates the file from that connection and carries on there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from edge_agent.errors import ProjectionError
from edge_agent.projection._errors import translate
from edge_agent.projection._recovery import FileIdentity, file_identity, restore
from edge_agent.projection._schema import connect_writer

logger = logging.getLogger(__name__)

T = TypeVar("T")

Job = Callable[[sqlite3.Connection], T]


@dataclass
class _Work:
    job: Job[Any]
    durable: bool
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[Any] | None = None
    on_done: Callable[[Any], None] | None = field(default=None)
    on_error: Callable[[Exception], None] | None = field(default=None)
    group: bool = False


@dataclass
class _Restore:
    """Re-create the database file if it is gone (see `WriterThread.restore_if_gone`)."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[bool]


_STOP = object()

MAX_GROUP = 256
"""Most jobs that share one group commit."""

BACKGROUND_BUSY_TIMEOUT = 0.1
"""Background (status) writes wait at most this long for a lock, so a command queued behind
one waits about its own busy timeout, not two."""


class WriterThread:
    """A queue of write jobs served by one thread holding the write connection."""

    def __init__(
        self,
        path: Path,
        busy_timeout: float,
        connect: Callable[[Path, float], sqlite3.Connection] = connect_writer,
    ) -> None:
        self._path = path
        self._connect = connect
        self._busy_timeout = busy_timeout
        self._queue: queue.SimpleQueue[_Work | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="projection-writer", daemon=True)
        self._opened: asyncio.Future[None] | None = None
        self._durable_mode = True
        self._closed = False

    async def start(self) -> None:
        """Open the connection (creating the schema) on the thread; raises what went wrong."""
        loop = asyncio.get_running_loop()
        self._opened = loop.create_future()
        self._thread.start()
        try:
            await self._opened
        except BaseException:
            await asyncio.to_thread(self._thread.join)
            raise

    async def run(self, job: Job[T], *, durable: bool = True, group: bool = False) -> T:
        """Run `job` in a transaction on the writer thread and return what it returned.

        `durable` commits with `synchronous=FULL` and waits the full busy timeout for a lock;
        otherwise `NORMAL` (may be lost on power loss, never corrupted) and a short wait. A job
        whose caller stopped waiting before it started is skipped. `group` (durable jobs
        only) lets the job share a commit with other grouped jobs queued right behind it: one
        disk flush for all of them; still atomic per job, and still on disk when this returns.
        """
        self._check_open()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Work(job, durable, loop, future, group=group and durable))
        return await future

    def post(
        self,
        job: Job[T],
        *,
        on_done: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Queue `job` without waiting for it (not durable); the callbacks run on this thread,
        `on_done` after the commit."""
        self._check_open()
        self._queue.put(_Work(job, durable=False, on_done=on_done, on_error=on_error))

    async def restore_if_gone(self) -> bool:
        """When the database file was deleted or replaced since the connection opened it,
        write what the connection holds to a new file at the path and continue there; True
        when it did. Jobs queued before run on the old file, those after on the new one."""
        self._check_open()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Restore(loop, future))
        return await future

    async def stop(self) -> None:
        """Finish the queued jobs, close the connection and end the thread."""
        self._closed = True
        if not self._thread.is_alive():
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    @property
    def _background_busy_timeout(self) -> float:
        return min(self._busy_timeout, BACKGROUND_BUSY_TIMEOUT)

    def _check_open(self) -> None:
        if self._closed or not self._thread.is_alive():
            raise ProjectionError(
                f"local state database {self._path} is closed; the agent is stopping"
            )

    # --- the thread ---------------------------------------------------------------------------

    def _serve(self) -> None:
        assert self._opened is not None
        opened = self._opened
        try:
            conn = self._connect(self._path, self._busy_timeout)
        except (sqlite3.Error, OSError) as exc:
            _resolve(
                opened.get_loop(), opened, None, translate(exc, self._path, self._busy_timeout)
            )
            return
        except Exception as exc:  # a defect: the caller of start() must not wait forever
            _resolve(opened.get_loop(), opened, None, exc)
            return
        identity = file_identity(self._path)
        _resolve(opened.get_loop(), opened, None, None)
        carried: _Work | object | None = None
        try:
            while True:
                work = carried if carried is not None else self._queue.get()
                carried = None
                if work is _STOP:
                    break
                if isinstance(work, _Restore):
                    conn, identity = self._restore(conn, identity, work)
                    continue
                assert isinstance(work, _Work)
                try:
                    if work.group:
                        batch, carried = self._grouped_after(work)
                        self._execute_group(conn, batch)
                    else:
                        self._execute(conn, work)
                except Exception:  # a failing callback must not end the writer
                    logger.exception("a projection write callback failed")
        finally:
            conn.close()

    def _restore(
        self, conn: sqlite3.Connection, identity: FileIdentity | None, work: _Restore
    ) -> tuple[sqlite3.Connection, FileIdentity | None]:
        if file_identity(self._path) == identity:
            _resolve(work.loop, work.future, False, None)
            return conn, identity
        try:
            fresh = restore(conn, self._path, self._busy_timeout)
        except (sqlite3.Error, OSError) as exc:
            _resolve(work.loop, work.future, None, self._failure(exc))
            try:  # `conn` may be closed already: carry on with the file at the path
                conn.execute("SELECT 1")
            except sqlite3.ProgrammingError:
                conn = self._connect(self._path, self._busy_timeout)
            return conn, identity
        self._durable_mode = True
        _resolve(work.loop, work.future, True, None)
        return fresh, file_identity(self._path)

    def _grouped_after(self, first: _Work) -> tuple[list[_Work], _Work | object | None]:
        """`first` and the grouped jobs queued right behind it; the next other item, if any."""
        batch = [first]
        while len(batch) < MAX_GROUP:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, None
            if not (isinstance(item, _Work) and item.group):
                return batch, item
            batch.append(item)
        return batch, None

    def _execute_group(self, conn: sqlite3.Connection, batch: list[_Work]) -> None:
        """Run `batch` in one transaction, each job in its own savepoint; settle every
        future after the commit (or with the commit's error when it fails)."""
        live = [w for w in batch if w.future is None or not w.future.cancelled()]
        if not live:
            return
        outcomes: list[tuple[Any, Exception | None]] = []
        try:
            self._set_mode(conn, durable=True)
            conn.execute("BEGIN IMMEDIATE")
            try:
                for work in live:
                    outcomes.append(self._savepoint(conn, work))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            outcomes = [(None, self._failure(exc)) for _ in live]  # one error object each
        for work, (value, failed) in zip(live, outcomes, strict=True):
            if work.loop is not None and work.future is not None:
                _resolve(work.loop, work.future, value, failed)

    def _failure(self, exc: sqlite3.Error | OSError) -> Exception:
        error = translate(exc, self._path, self._busy_timeout)
        error.__cause__ = exc
        return error

    def _savepoint(self, conn: sqlite3.Connection, work: _Work) -> tuple[Any, Exception | None]:
        """One grouped job inside the shared transaction: its value, or its error with its
        own writes rolled back. A database error that ends the transaction propagates."""
        conn.execute("SAVEPOINT grouped_job")
        try:
            value = work.job(conn)
        except (sqlite3.Error, OSError) as exc:
            if not conn.in_transaction:
                raise
            conn.execute("ROLLBACK TO grouped_job")
            conn.execute("RELEASE grouped_job")
            return None, self._failure(exc)
        except Exception as exc:  # the job refused (e.g. a conflict) or a defect in it
            conn.execute("ROLLBACK TO grouped_job")
            conn.execute("RELEASE grouped_job")
            return None, exc
        conn.execute("RELEASE grouped_job")
        return value, None

    def _execute(self, conn: sqlite3.Connection, work: _Work) -> None:
        if work.future is not None and work.future.cancelled():
            return  # the caller gave up before the job started: nothing was done
        value: Any = None
        error: Exception | None = None
        try:
            value = self._transaction(conn, work)
        except (sqlite3.Error, OSError) as exc:
            waited = self._busy_timeout if work.durable else self._background_busy_timeout
            error = translate(exc, self._path, waited)
            error.__cause__ = exc
        except Exception as exc:  # a defect in the job: hand it to the caller as it is
            error = exc
        if work.loop is not None and work.future is not None:
            _resolve(work.loop, work.future, value, error)
        elif error is None:
            if work.on_done is not None:
                work.on_done(value)
        elif work.on_error is not None:
            work.on_error(error)

    def _set_mode(self, conn: sqlite3.Connection, *, durable: bool) -> None:
        if durable != self._durable_mode:
            busy = self._busy_timeout if durable else self._background_busy_timeout
            conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            conn.execute(f"PRAGMA busy_timeout={round(busy * 1000)}")
            self._durable_mode = durable

    def _transaction(self, conn: sqlite3.Connection, work: _Work) -> Any:
        self._set_mode(conn, durable=work.durable)
        conn.execute("BEGIN IMMEDIATE")
        try:
            value = work.job(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        return value


def _resolve(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    value: Any,
    error: BaseException | None,
) -> None:
    """Hand a job's outcome to the loop that waits for it (if it still runs and waits)."""

    def settle() -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
        loop.call_soon_threadsafe(settle)
