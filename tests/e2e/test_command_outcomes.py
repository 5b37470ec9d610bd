"""End to end: a command's outcome decides whether the cloud tries again.

Real Temporal dev server, worker and gateway in this process; a real `commerce-edge` process;
a second process holding a real SQLite lock on the agent's database.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from tests.support.sqlite_lock import exclusive_lock
from tests.support.stack import (
    agent_log_tail,
    agent_process,
    cloud_stack,
    enroll_agent,
    eventually,
)

pytestmark = pytest.mark.usefixtures("temporal_cli")

# The agent gives up on a locked database quickly, so each delivery fails fast.
FAST_BUSY = {"COMMERCE_EDGE_DATABASE_BUSY_TIMEOUT_SECONDS": "0.3"}


async def _pending_command(handle: object) -> PendingActivityInfo | None:
    described = await handle.raw.describe()  # type: ignore[attr-defined]
    pending = [
        a
        for a in described.raw_description.pending_activities
        if a.activity_type.name == "SendSiteCommand"
    ]
    return pending[0] if pending else None


def _applied_commands(agent_dir: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(f"file:{agent_dir / 'state' / 'edge.db'}?mode=ro", uri=True)
    try:
        return list(conn.execute("SELECT command_id, ok FROM applied_commands"))
    finally:
        conn.close()


async def test_a_command_that_fails_transiently_twice_then_succeeds_completes_provisioning(
    tmp_path: Path,
) -> None:
    async with cloud_stack(tmp_path / "cloud", command_timeout_seconds=120) as stack:
        handle, status = await stack.provision("store-busy")
        agent_dir = tmp_path / "store"
        assert (await enroll_agent(stack.enrollment(status), agent_dir)).returncode == 0
        database = agent_dir / "state" / "edge.db"
        assert database.exists(), "enrollment prepares the agent's local database"

        async with (
            agent_process(agent_dir, FAST_BUSY) as agent,
            exclusive_lock(database) as lock,
        ):
            # Each delivery meets the lock: the agent answers "retryable", the cloud retries.
            async def failed_twice() -> bool:
                pending = await _pending_command(handle)
                return pending is not None and pending.attempt >= 3

            try:
                await eventually(failed_twice, timeout=60, interval=0.3)
            except AssertionError:
                raise AssertionError(agent_log_tail(agent_dir)) from None
            pending = await _pending_command(handle)
            assert pending is not None
            assert "DatabaseBusy" in pending.last_failure.message
            assert pending.last_failure.application_failure_info.non_retryable is False
            # Nothing recorded as done while the lock was held.
            command = stack.store.commands.get(f"{handle.id}/apply-site-config/1")
            assert command is not None and not command.finished
            assert command.error and "locked" in command.error.lower()

            # Lock released: the next delivery of the same command id, on the same stream,
            # applies it.
            await lock.release()
            result = await asyncio.wait_for(handle.result(), 90)
            assert agent.returncode is None
        assert result.site_id == "store-busy"
        site = stack.store.sites.get("store-busy")
        assert site is not None and site.status == "ready"
        command = stack.store.commands.get(f"{handle.id}/apply-site-config/1")
        assert command is not None and command.status == "completed"
        assert _applied_commands(agent_dir) == [(command.command_id, 1)]


async def test_a_permanent_refusal_ends_provisioning_with_the_agents_message(
    tmp_path: Path,
) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        # A channel publishing a stream this agent release cannot project.
        await asyncio.to_thread(
            stack.ops.channels.create, "web-future", "Web Future", ["catalog", "holo-shelf"]
        )
        handle, status = await stack.provision("store-old", channel="web-future")
        agent_dir = tmp_path / "store"
        assert (await enroll_agent(stack.enrollment(status), agent_dir)).returncode == 0
        async with agent_process(agent_dir):
            with pytest.raises(WorkflowFailureError) as failed:
                await asyncio.wait_for(handle.result(), 60)
        cause = failed.value.cause
        assert isinstance(cause, ApplicationError)
        assert cause.type == "SiteCommandFailed"
        assert cause.non_retryable
        # The workflow's failure carries the agent's own words.
        assert "holo-shelf" in cause.message and "UnsupportedStream" in cause.message

        final = await handle.get_provision_status()
        assert final.step == store_site_pb2.PROVISION_STEP_FAILED
        configured = {c.type: c for c in final.conditions}["Configured"]
        assert configured.reason == "UnsupportedStream"
        assert "holo-shelf" in configured.message
        # The condition is on the site for `sites show`, and nothing was retried.
        site = stack.store.sites.get("store-old")
        assert site is not None and site.status == "provisioning"
        conditions = {c["type"]: c for c in site.conditions}
        assert conditions["Configured"]["reason"] == "UnsupportedStream"
        command = stack.store.commands.get(f"{handle.id}/apply-site-config/1")
        assert command is not None and command.status == "failed"
        assert command.error and "holo-shelf" in command.error
        assert _applied_commands(agent_dir) == [(command.command_id, 0)]
