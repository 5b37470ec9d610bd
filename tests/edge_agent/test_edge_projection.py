"""The projection on a real SQLite file: disk work off the event loop, status kept in memory."""

from __future__ import annotations

import asyncio
import errno
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.config import load_agent_config
from edge_agent.control import outcomes
from edge_agent.errors import (
    DatabaseBusy,
    DatabaseNotWritable,
    DiskFull,
    ProjectionError,
)
from edge_agent.projection import Projection, database_path, read_connection_state
from edge_agent.projection._errors import translate
from shared.errors import ConfigError
from tests.edge_agent.edge_fake_gateway import site_config_command
from tests.edge_agent.edge_support import SITE
from tests.support.sqlite_lock import exclusive_lock


async def _apply(
    projection: Projection, command_id: str, generation: int = 1
) -> edge_pb2.CommandResult:
    config = site_config_command(command_id, SITE, generation=generation).apply_site_config
    return await projection.apply_site_config(
        command_id,
        config,
        lambda applied: outcomes.succeeded(command_id, site_config_applied=applied),
    )


async def test_a_write_blocked_by_another_process_leaves_the_loop_free(tmp_path: Path) -> None:
    projection = await Projection.open(tmp_path, busy_timeout_seconds=30)
    try:
        async with exclusive_lock(database_path(tmp_path)) as lock:
            write = asyncio.ensure_future(_apply(projection, "cmd-1"))
            # The loop keeps running other work while the write waits for the lock...
            for _ in range(5):
                await asyncio.sleep(0.01)
                projection.touch_contact()
                projection.set_state("connected")
            assert projection.connection_state().state == "connected"
            # ...and reads proceed (WAL) while another process holds the write lock.
            assert await asyncio.wait_for(projection.site_config(), 10) is None
            assert not write.done()
            await lock.release()
        result = await asyncio.wait_for(write, 30)
        assert result.ok and result.site_config_applied.generation == 1
        stored = await projection.site_config()
        assert stored is not None and stored.command_id == "cmd-1"
    finally:
        await projection.close()


async def test_status_is_visible_at_once_and_on_disk_after_close(tmp_path: Path) -> None:
    projection = await Projection.open(tmp_path)
    assert projection.connection_state().state == "never-connected"
    projection.set_state("connecting")
    projection.set_state("connected")
    projection.touch_contact()
    state = projection.connection_state()
    assert (state.state, state.last_error) == ("connected", None)
    assert state.since is not None and state.last_contact_at is not None
    projection.set_state("disconnected", error="gateway went away")
    await projection.close()

    on_disk = read_connection_state(tmp_path)
    assert on_disk is not None
    assert (on_disk.state, on_disk.last_error) == ("disconnected", "gateway went away")
    assert on_disk.last_contact_at == state.last_contact_at


async def test_status_written_while_locked_reaches_the_disk_after_the_lock(
    tmp_path: Path,
) -> None:
    projection = await Projection.open(tmp_path, busy_timeout_seconds=0.1)
    try:
        async with exclusive_lock(database_path(tmp_path)) as lock:
            projection.set_state("connected")
            projection.touch_contact()
            assert projection.connection_state().state == "connected"
            await asyncio.sleep(0.5)  # let a persist attempt fail against the lock
            on_disk = read_connection_state(tmp_path)
            assert on_disk is not None and on_disk.state == "never-connected"
            await lock.release()
        for _ in range(100):  # retried in the background; a bounded wait, not a timing claim
            on_disk = read_connection_state(tmp_path)
            if on_disk is not None and on_disk.state == "connected":
                break
            await asyncio.sleep(0.1)
        assert on_disk is not None and on_disk.state == "connected"
        assert on_disk.last_contact_at == projection.connection_state().last_contact_at
    finally:
        await projection.close()


async def test_applied_generation_is_remembered_across_restarts(tmp_path: Path) -> None:
    projection = await Projection.open(tmp_path)
    await _apply(projection, "cmd-1", generation=4)
    assert projection.connection_state().config_generation == 4
    await projection.close()
    reopened = await Projection.open(tmp_path)
    try:
        assert reopened.connection_state().config_generation == 4
        assert await reopened.applied_command_count() == 1
    finally:
        await reopened.close()


async def test_a_damaged_file_is_moved_aside_at_open_and_a_new_one_made(tmp_path: Path) -> None:
    path = database_path(tmp_path)
    path.parent.mkdir(parents=True)
    damaged = b"this is not a database, just some bytes " * 200
    path.write_bytes(damaged)
    projection = await Projection.open(tmp_path)
    try:
        rebuilt = projection.rebuilt_at_start
        assert rebuilt is not None and "file is not a database" in rebuilt.reason
        assert rebuilt.moved_to is not None and Path(rebuilt.moved_to).read_bytes() == damaged
        assert await projection.site_config() is None  # nothing kept to put back
    finally:
        await projection.close()


async def test_closed_projection_refuses_work(tmp_path: Path) -> None:
    projection = await Projection.open(tmp_path)
    await projection.close()
    with pytest.raises(ProjectionError, match="closed"):
        await projection.site_config()
    with pytest.raises(ProjectionError, match="closed"):
        await projection.record_result(edge_pb2.CommandResult(command_id="x"))


# --- translating real SQLite errors ---------------------------------------------------------


def _error_of(action: Callable[[], object]) -> sqlite3.Error:
    try:
        action()
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("no error")


async def test_sqlite_busy_becomes_retryable_database_busy(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    async with exclusive_lock(db):
        conn = sqlite3.connect(db, timeout=0.05)
        error = translate(_error_of(lambda: conn.execute("INSERT INTO t VALUES (1)")), db, 0.05)
        conn.close()
    assert isinstance(error, DatabaseBusy) and error.retryable
    assert "0.05 s" in str(error) and str(db) in str(error)


def test_sqlite_full_becomes_retryable_disk_full(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA max_page_count=3")  # the file may not grow: SQLITE_FULL, for real
    error = translate(
        _error_of(lambda: conn.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))), db, 1
    )
    conn.close()
    assert isinstance(error, DiskFull) and error.retryable
    assert "free disk space" in str(error)


def test_no_space_from_the_os_becomes_disk_full(tmp_path: Path) -> None:
    error = translate(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "x.db", 1)
    assert isinstance(error, DiskFull) and error.retryable


def test_writing_a_read_only_database_is_permanent(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    error = translate(_error_of(lambda: conn.execute("INSERT INTO t VALUES (1)")), db, 1)
    conn.close()
    assert isinstance(error, DatabaseNotWritable) and not error.retryable
    assert "read-write" in str(error)


def test_an_unexpected_sqlite_error_is_permanent(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    conn = sqlite3.connect(db)
    error = translate(_error_of(lambda: conn.execute("SELECT * FROM nowhere")), db, 1)
    conn.close()
    assert type(error) is ProjectionError and not error.retryable
    assert error.reason == "DatabaseFailed"


# --- configuration --------------------------------------------------------------------------


def test_busy_timeout_comes_from_config_and_bad_values_name_the_key() -> None:
    assert load_agent_config(config_file=None, environ={}).database_busy_timeout_seconds == 5.0
    set_by_env = load_agent_config(
        config_file=None, environ={"COMMERCE_EDGE_DATABASE_BUSY_TIMEOUT_SECONDS": "0.25"}
    )
    assert set_by_env.database_busy_timeout_seconds == 0.25
    with pytest.raises(ConfigError, match="COMMERCE_EDGE_DATABASE_BUSY_TIMEOUT_SECONDS"):
        load_agent_config(
            config_file=None, environ={"COMMERCE_EDGE_DATABASE_BUSY_TIMEOUT_SECONDS": "-1"}
        )
