"""Real cloud, real agent process: another process locks the agent's database for 10 s.

The agent's event loop must stay responsive: its heartbeats keep the site's last contact
moving in the cloud store, the gateway keeps its session, and the health page answers.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from edge_agent.projection import database_path
from tests.support.sqlite_lock import exclusive_lock
from tests.support.stack import (
    agent_log_tail,
    agent_process,
    agent_status,
    cloud_stack,
    enroll_agent,
    eventually,
    free_port,
    has_temporal_cli,
)

pytestmark = pytest.mark.skipif(not has_temporal_cli(), reason="Temporal CLI not available")

SITE = "store-0042"
LOCK_SECONDS = 10.0


async def test_cloud_keeps_seeing_the_site_while_its_database_is_locked(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud", heartbeat_interval_seconds=1) as stack:
        handle, status = await stack.provision(SITE)
        agent_dir = tmp_path / "store"
        enrolled = await enroll_agent(stack.enrollment(status), agent_dir)
        assert enrolled.returncode == 0, enrolled.stderr
        port = free_port()
        env = {
            "COMMERCE_EDGE_HEALTH_ADDRESS": f"127.0.0.1:{port}",
            "COMMERCE_EDGE_POS_ADDRESS": "127.0.0.1:0",
            "COMMERCE_EDGE_DATABASE_BUSY_TIMEOUT_SECONDS": "1",
        }

        def last_seen() -> datetime | None:
            site = stack.store.sites.get(SITE)
            return site.last_seen_at if site is not None else None

        async with agent_process(agent_dir, env), httpx.AsyncClient(timeout=5) as http:
            await handle.result()  # ready: the agent applied the site config
            await eventually(lambda: asyncio.to_thread(last_seen))

            async with exclusive_lock(database_path(agent_dir), hold_at_most=LOCK_SECONDS) as lock:
                locked_at = datetime.now(UTC)
                seen_during_lock: list[datetime] = []
                pages = 0
                while lock.held:
                    page = await http.get(f"http://127.0.0.1:{port}/health.json")
                    assert page.status_code == 200, page.text
                    assert page.json()["connection_state"] == "connected"
                    assert stack.running.gateway is not None
                    assert stack.running.gateway.sessions.connected(SITE)
                    seen = await asyncio.to_thread(last_seen)
                    if pages == 2:
                        # `commerce-edge status` (its own process) reads the locked file.
                        assert (await agent_status(agent_dir))["site_id"] == SITE
                    if lock.held and seen is not None:
                        seen_during_lock.append(seen)
                        pages += 1
                    await asyncio.sleep(0.5)

            assert pages >= 3, "the lock was released before the checks could run"
            # Heartbeats kept arriving: last contact moved well past the start of the lock.
            assert max(seen_during_lock) >= locked_at + timedelta(seconds=4), (
                seen_during_lock,
                agent_log_tail(agent_dir),
            )
            assert stack.running.gateway.sessions.connected(SITE)
            log = (agent_dir / "agent.log").read_text()
            assert "could not record the connection state" in log  # the lock did bite

            # Once the lock is gone the agent's own record catches up.
            async def recorded_after_lock() -> bool:
                contact = (await agent_status(agent_dir))["last_contact_at"]
                return contact is not None and datetime.fromisoformat(
                    contact
                ) > locked_at + timedelta(seconds=LOCK_SECONDS)

            await eventually(recorded_after_lock, timeout=30)
