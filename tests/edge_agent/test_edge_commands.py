"""Command outcomes on a real SQLite file: retryable failures are not recorded, final ones are."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.control import CommandDispatcher, outcomes
from edge_agent.errors import DiskFull, WrongSite
from edge_agent.projection import Projection, database_path
from tests.edge_agent.edge_fake_gateway import site_config_command
from tests.edge_agent.edge_support import SITE
from tests.support.sqlite_lock import exclusive_lock

RETRYABLE = edge_pb2.COMMAND_OUTCOME_FAILED_RETRYABLE
PERMANENT = edge_pb2.COMMAND_OUTCOME_FAILED_PERMANENT
SUCCEEDED = edge_pb2.COMMAND_OUTCOME_SUCCEEDED


@contextlib.asynccontextmanager
async def dispatcher_on(
    data_dir: Path, busy_timeout: float = 0.2
) -> AsyncIterator[tuple[CommandDispatcher, Projection]]:
    projection = await Projection.open(data_dir, busy_timeout_seconds=busy_timeout)
    try:
        yield CommandDispatcher(projection, SITE), projection
    finally:
        await projection.close()


def assert_legacy_fields_agree(result: edge_pb2.CommandResult) -> None:
    """Older clouds read `ok` and `error`; they must say the same as the outcome."""
    assert result.ok == (result.outcome == SUCCEEDED)
    assert result.error == result.message
    assert bool(result.reason) == (result.outcome != SUCCEEDED)


async def test_locked_database_is_retryable_and_the_same_command_applies_later(
    tmp_path: Path,
) -> None:
    async with dispatcher_on(tmp_path, busy_timeout=0.2) as (dispatcher, projection):
        command = site_config_command("cmd-1", SITE, generation=2)
        async with exclusive_lock(database_path(tmp_path)):
            # A functional bound: the configured busy timeout is 0.2 s.
            busy = await asyncio.wait_for(dispatcher.handle(command), 10)
            assert busy.outcome == RETRYABLE
            assert busy.reason == "DatabaseBusy"
            assert "locked by another process" in busy.message
            assert_legacy_fields_agree(busy)
            assert busy.command_id == "cmd-1"
            assert await projection.command_result("cmd-1") is None  # not recorded

        again = await asyncio.wait_for(dispatcher.handle(command), 10)
        assert again.outcome == SUCCEEDED
        assert again.site_config_applied.generation == 2
        assert_legacy_fields_agree(again)
        stored = await projection.site_config()
        assert stored is not None and stored.command_id == "cmd-1"


async def test_wrong_site_is_permanent_and_a_redelivery_gets_the_stored_answer(
    tmp_path: Path,
) -> None:
    async with dispatcher_on(tmp_path) as (dispatcher, projection):
        command = site_config_command("cmd-x", "store-0099")
        refused = await dispatcher.handle(command)
        assert refused.outcome == PERMANENT
        assert refused.reason == "WrongSite"
        assert "store-0099" in refused.message and SITE in refused.message
        assert_legacy_fields_agree(refused)
        assert await projection.site_config() is None

        assert await dispatcher.handle(command) == refused
        assert await projection.command_result("cmd-x") == refused
        assert await projection.applied_command_count() == 1


async def test_unknown_action_is_permanent_and_recorded(tmp_path: Path) -> None:
    async with dispatcher_on(tmp_path) as (dispatcher, projection):
        result = await dispatcher.handle(edge_pb2.Command(command_id="cmd-new"))
        assert result.outcome == PERMANENT
        assert result.reason == "UnknownAction"
        assert "Upgrade the agent" in result.message
        assert_legacy_fields_agree(result)
        assert await projection.command_result("cmd-new") == result


async def test_command_without_id_is_permanent(tmp_path: Path) -> None:
    async with dispatcher_on(tmp_path) as (dispatcher, projection):
        result = await dispatcher.handle(site_config_command("", SITE))
        assert result.outcome == PERMANENT
        assert result.reason == "MissingCommandId"
        assert_legacy_fields_agree(result)
        assert await projection.applied_command_count() == 0
        assert await projection.site_config() is None


async def test_generation_below_one_is_malformed_and_permanent(tmp_path: Path) -> None:
    async with dispatcher_on(tmp_path) as (dispatcher, projection):
        result = await dispatcher.handle(site_config_command("cmd-0", SITE, generation=0))
        assert result.outcome == PERMANENT
        assert result.reason == "MalformedCommand"
        assert "generation 0" in result.message
        assert_legacy_fields_agree(result)
        assert await projection.site_config() is None


async def test_result_recorded_by_an_older_agent_is_resent_with_an_outcome(
    tmp_path: Path,
) -> None:
    async with dispatcher_on(tmp_path) as (_dispatcher, _projection):
        pass  # creates the schema
    legacy = edge_pb2.CommandResult(command_id="cmd-old", ok=False, error="refused long ago")
    with contextlib.closing(sqlite3.connect(database_path(tmp_path))) as conn, conn:
        conn.execute(
            "INSERT INTO applied_commands VALUES (?, ?, ?, ?, ?)",
            ("cmd-old", "2026-01-01T00:00:00Z", 0, legacy.error, legacy.SerializeToString()),
        )
    async with dispatcher_on(tmp_path) as (dispatcher, _projection):
        result = await dispatcher.handle(site_config_command("cmd-old", SITE))
    assert (result.outcome, result.reason) == (PERMANENT, "Unclassified")
    assert result.message == "refused long ago"
    assert_legacy_fields_agree(result)


def test_outcomes_follow_each_errors_retryable_flag() -> None:
    full = outcomes.failed("c", DiskFull("no space"))
    assert (full.outcome, full.reason, full.error) == (RETRYABLE, "DiskFull", "no space")
    wrong = outcomes.failed("c", WrongSite("other site"))
    assert (wrong.outcome, wrong.reason) == (PERMANENT, "WrongSite")
    bug = outcomes.failed("c", KeyError("oops"))
    assert (bug.outcome, bug.reason) == (PERMANENT, "InternalError")
    assert "KeyError" in bug.message and not bug.ok


# --- a real full disk (a small tmpfs), where the machine allows mounting one ----------------


@contextlib.contextmanager
def small_disk(where: Path, size: str = "2m") -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


async def test_full_disk_is_retryable_and_the_same_command_applies_after_cleanup(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        async with dispatcher_on(disk) as (dispatcher, projection):
            filler = disk / "filler"
            with contextlib.suppress(OSError), filler.open("wb") as out:
                while True:
                    out.write(b"\0" * 65536)
            command = site_config_command("cmd-1", SITE, generation=3)
            full = await dispatcher.handle(command)
            assert full.outcome == RETRYABLE, full
            assert full.reason == "DiskFull"
            assert "free disk space" in full.message
            assert_legacy_fields_agree(full)

            filler.unlink()
            done = await dispatcher.handle(command)
            assert done.outcome == SUCCEEDED, done
            assert (await projection.site_config()) is not None
