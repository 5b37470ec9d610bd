"""The control stream against the real gateway: hello, welcome, heartbeats, commands, revocation.

Faults the real gateway cannot produce (a redelivered command with a changed body, what the
hello carries, which the gateway does not surface) are in test_edge_stream_faults.py.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.gateway.server import EdgeGateway
from edge_agent.projection import Projection
from tests.edge_agent.edge_fake_gateway import site_config_command
from tests.edge_agent.edge_support import SITE, running_client
from tests.edge_agent.real_gateway import CloudSide, running_gateway
from tests.support.stack import eventually


async def cloud_result(cloud: CloudSide, command_id: str) -> edge_pb2.CommandResult:
    """Wait until the agent's result for `command_id` is recorded in the cloud store."""
    found: list[edge_pb2.CommandResult] = []

    def arrived() -> bool:
        result = cloud.result(command_id)
        if result is not None:
            found.append(result)
        return bool(found)

    await eventually(arrived, timeout=10, interval=0.05)
    return found[0]


async def send(cloud: CloudSide, command: edge_pb2.Command) -> edge_pb2.CommandResult:
    await asyncio.to_thread(cloud.enqueue, command, SITE)
    return await cloud_result(cloud, command.command_id)


async def test_hello_welcome_command_applied_and_result_reaches_the_cloud(
    cloud: CloudSide,
    real_gateway: EdgeGateway,
    site_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="cloud.gateway.control")
    async with running_client(site_dir) as (client, projection):
        await asyncio.wait_for(client.connected.wait(), 10)
        # The gateway registers the session just after it sent the Welcome.
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=10)
        # ... and logs the hello's agent version once the site's backlog is queued.
        await eventually(lambda: f"site {SITE} connected (agent 1.2.3)" in caplog.text, timeout=10)
        assert projection.connection_state().state == "connected"
        welcomed_at = projection.connection_state().last_contact_at

        result = await send(cloud, site_config_command("cmd-1", SITE, generation=7))
        assert result.command_id == "cmd-1"
        assert result.ok, result.error
        assert result.site_config_applied.site_id == SITE
        assert result.site_config_applied.generation == 7
        assert cloud.command("cmd-1").status == "completed"
        stored = await projection.site_config()
        assert stored is not None
        assert stored.config.name == "Store 42"
        assert stored.config.bindings[0].stream == "catalog"
        assert stored.command_id == "cmd-1"

        # The gateway asked for a heartbeat every second and echoes each: contact moves on,
        # and the cloud records when it last heard from the site.
        await eventually(
            lambda: projection.connection_state().last_contact_at != welcomed_at, timeout=10
        )
        await eventually(
            lambda: (
                (site := cloud.store.sites.get(SITE)) is not None and site.last_seen_at is not None
            ),
            timeout=10,
        )
    reopened = await Projection.open(site_dir)
    try:
        assert reopened.connection_state().state == "stopped"
        assert reopened.connection_state().config_generation == 7
    finally:
        await reopened.close()


async def test_command_for_another_site_is_refused(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with running_client(site_dir) as (_client, projection):
        result = await send(cloud, site_config_command("cmd-x", "store-0099"))
        assert not result.ok
        assert "store-0099" in result.error
        assert SITE in result.error
        assert cloud.command("cmd-x").status == "failed"
        assert await projection.site_config() is None


async def test_older_generation_does_not_replace_newer(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with running_client(site_dir) as (_client, projection):
        await send(cloud, site_config_command("cmd-9", SITE, generation=9, name="new"))
        late = await send(cloud, site_config_command("cmd-3", SITE, generation=3, name="old"))
        assert late.ok
        assert late.site_config_applied.generation == 9
        stored = await projection.site_config()
        assert stored is not None
        assert stored.config.name == "new"


async def test_reconnects_after_the_gateway_restarts(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with running_client(site_dir) as (client, projection):
        await asyncio.wait_for(client.connected.wait(), 10)
        await real_gateway.stop(grace=0)
        await eventually(lambda: projection.connection_state().state != "connected", timeout=10)
        # Queued while no gateway runs; the next one delivers it once the agent is back.
        await asyncio.to_thread(cloud.enqueue, site_config_command("cmd-1", SITE, 4), SITE)
        async with running_gateway(cloud):
            assert (await cloud_result(cloud, "cmd-1")).ok
            assert projection.connection_state().state == "connected"


async def test_revoked_site_is_recorded_with_the_gateway_message(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with running_client(site_dir) as (client, projection):
        await asyncio.wait_for(client.connected.wait(), 10)
        await asyncio.to_thread(cloud.store.sites.revoke, SITE, "server stolen", "ops")
        await eventually(lambda: projection.connection_state().state == "rejected", timeout=15)
        state = projection.connection_state()
        assert state.last_error is not None
        assert "UNAUTHENTICATED" in state.last_error
        assert "revoked" in state.last_error
        await eventually(lambda: not real_gateway.sessions.connected(SITE), timeout=10)
