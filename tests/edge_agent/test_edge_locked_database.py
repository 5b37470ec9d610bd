"""A real agent process whose database another process locks: the agent stays responsive.

Heartbeats keep flowing on the same stream, the health page answers, a command gets a
retryable DatabaseBusy, and the same command id applies once the lock is gone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.projection import database_path, read_connection_state
from tests.edge_agent.edge_fake_gateway import FakeGateway, site_config_command
from tests.edge_agent.edge_process import agent_log, agent_process, free_port
from tests.edge_agent.edge_support import SITE
from tests.support.sqlite_lock import exclusive_lock


async def _next_result(gateway: FakeGateway) -> edge_pb2.CommandResult:
    return await asyncio.wait_for(gateway.results.get(), 15)


async def test_agent_stays_responsive_while_its_database_is_locked(
    gateway: FakeGateway, enrolled: Path
) -> None:
    gateway.heartbeat_interval = 1
    port = free_port()
    env = {
        "COMMERCE_EDGE_HEALTH_ADDRESS": f"127.0.0.1:{port}",
        "COMMERCE_EDGE_POS_ADDRESS": "127.0.0.1:0",
        "COMMERCE_EDGE_DATABASE_BUSY_TIMEOUT_SECONDS": "0.5",
    }
    async with agent_process(enrolled, env), httpx.AsyncClient(timeout=5) as http:
        await gateway.wait_for_connections(1)
        gateway.commands.put_nowait(site_config_command("cmd-1", SITE, generation=1))
        assert (await _next_result(gateway)).ok
        stream = gateway.connections[0]

        async with exclusive_lock(database_path(enrolled)) as lock:
            beats_at_lock = len(stream.heartbeats)
            gateway.commands.put_nowait(site_config_command("cmd-2", SITE, generation=2))
            busy = await _next_result(gateway)
            assert busy.command_id == "cmd-2"
            assert busy.outcome == edge_pb2.COMMAND_OUTCOME_FAILED_RETRYABLE, busy
            assert busy.reason == "DatabaseBusy" and not busy.ok

            # Bounded waits for what a user would see: heartbeats and a page that answers.
            for _ in range(100):
                if len(stream.heartbeats) >= beats_at_lock + 3:
                    break
                await asyncio.sleep(0.1)
            assert len(stream.heartbeats) >= beats_at_lock + 3, agent_log(enrolled)[-3000:]
            health = await http.get(f"http://127.0.0.1:{port}/health.json")
            assert health.status_code == 200
            assert health.json()["connection_state"] == "connected"
            assert health.json()["config_generation"] == 1
            assert lock.held  # all of the above happened while the lock was held
            await lock.release()

        # The cloud delivers the same command again: now it is applied.
        gateway.commands.put_nowait(site_config_command("cmd-2", SITE, generation=2))
        done = await _next_result(gateway)
        assert done.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, done
        assert done.site_config_applied.generation == 2
        assert len(gateway.connections) == 1  # one stream throughout
        health = await http.get(f"http://127.0.0.1:{port}/health.json")
        assert health.json()["config_generation"] == 2

    log = agent_log(enrolled)
    assert "DatabaseBusy" in log
    assert "could not record the connection state" in log  # the lock did bite
    state = read_connection_state(enrolled)
    assert state is not None and state.state == "stopped"
