"""Control-stream faults only a misbehaving gateway produces (the fake one): no Welcome, a
Welcome for another site, a first frame that is not a Welcome, silence after the Welcome,
a command id redelivered with another body; and what the hello carries."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.projection import ConnectionState, Projection
from tests.edge_agent.edge_fake_gateway import FakeGateway, site_config_command
from tests.edge_agent.edge_support import running_client
from tests.support.stack import eventually


async def next_result(gateway: FakeGateway) -> edge_pb2.CommandResult:
    return await asyncio.wait_for(gateway.results.get(), 10)


async def dropped(projection: Projection, timeout: float) -> ConnectionState:
    """Wait until the agent records the stream as down; return that state."""
    await eventually(
        lambda: projection.connection_state().state == "disconnected", timeout, interval=0.02
    )
    return projection.connection_state()


async def test_same_command_twice_is_applied_once(gateway: FakeGateway, enrolled: Path) -> None:
    async with running_client(enrolled) as (_client, projection):
        gateway.commands.put_nowait(site_config_command("cmd-1", "store-0042", 5, name="A"))
        first = await next_result(gateway)
        # Redelivered with the same id; even a changed body must not be applied again.
        gateway.commands.put_nowait(site_config_command("cmd-1", "store-0042", 6, name="B"))
        second = await next_result(gateway)
        assert second == first
        stored = await projection.site_config()
        assert stored is not None
        assert (stored.config.name, stored.config.generation) == ("A", 5)
        assert await projection.applied_command_count() == 1


async def test_refusal_is_the_result_of_a_redelivered_command(
    gateway: FakeGateway, enrolled: Path
) -> None:
    async with running_client(enrolled):
        gateway.commands.put_nowait(site_config_command("cmd-x", "store-0099"))
        refused = await next_result(gateway)
        assert not refused.ok
        gateway.commands.put_nowait(site_config_command("cmd-x", "store-0099"))
        assert await next_result(gateway) == refused


async def test_hello_reports_the_agent_and_the_applied_generation(
    gateway: FakeGateway, enrolled: Path
) -> None:
    async with running_client(enrolled):
        gateway.commands.put_nowait(site_config_command("cmd-1", "store-0042", generation=4))
        await next_result(gateway)
    async with running_client(enrolled):
        await gateway.wait_for_connections(2)
    assert [c.hello.config_generation for c in gateway.connections] == [0, 4]
    assert {c.hello.agent_version for c in gateway.connections} == {"1.2.3"}


async def test_gateway_that_never_welcomes_is_left_within_the_welcome_bound(
    gateway: FakeGateway, enrolled: Path
) -> None:
    gateway.send_welcome = False
    async with running_client(enrolled, welcome_timeout_seconds=1) as (client, projection):
        state = await dropped(projection, timeout=10)
        assert state.last_error is not None
        assert "no Welcome within 1 s" in state.last_error
        await gateway.wait_for_connections(2)  # and it dials again
        assert not client.connected.is_set()


async def test_welcome_for_another_site_is_not_accepted(
    gateway: FakeGateway, enrolled: Path
) -> None:
    gateway.welcome_site_id = "store-0099"
    async with running_client(enrolled) as (client, projection):
        state = await dropped(projection, timeout=10)
        assert state.last_error is not None
        assert "store-0099" in state.last_error
        assert "store-0042" in state.last_error
        assert not client.connected.is_set()


async def test_first_frame_that_is_not_a_welcome_is_not_accepted(
    gateway: FakeGateway, enrolled: Path
) -> None:
    gateway.first_frame = edge_pb2.ConnectResponse(heartbeat=edge_pb2.Heartbeat(sequence=1))
    async with running_client(enrolled) as (client, projection):
        state = await dropped(projection, timeout=10)
        assert state.last_error is not None
        assert "'heartbeat', not a Welcome" in state.last_error
        assert not client.connected.is_set()


async def test_silence_right_after_the_welcome_is_noticed_within_the_bound(
    gateway: FakeGateway, enrolled: Path
) -> None:
    # The fake welcomes (asking for heartbeats every 30 s) and then never sends a frame.
    gateway.heartbeat_interval = 30
    async with running_client(enrolled, silence_timeout_seconds=1.5) as (client, projection):
        await asyncio.wait_for(client.connected.wait(), 10)
        state = await dropped(projection, timeout=10)
        assert state.last_error is not None
        assert "no frame from the gateway for 2 s" in state.last_error  # 1.5 s, rounded
        # Within the bound the agent heartbeat three times, not once per 30 s.
        assert len(gateway.connections[0].heartbeats) >= 2
        await gateway.wait_for_connections(2)
