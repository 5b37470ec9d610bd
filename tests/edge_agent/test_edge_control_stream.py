"""The control stream against the fake gateway: hello, welcome, commands, reconnects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.control import ControlClient
from edge_agent.projection import Projection
from tests.edge_agent.edge_fake_gateway import FakeGateway, site_config_command
from tests.edge_agent.edge_support import SITE


@asynccontextmanager
async def running_client(data_dir: Path) -> AsyncIterator[tuple[ControlClient, Projection]]:
    projection = await Projection.open(data_dir)
    client = ControlClient(
        data_dir=data_dir,
        projection=projection,
        agent_version="1.2.3",
        reconnect_initial_seconds=0.05,
        reconnect_max_seconds=0.3,
        welcome_timeout_seconds=5,
    )
    stopping = asyncio.Event()
    task = asyncio.ensure_future(client.run(stopping))
    try:
        yield client, projection
    finally:
        stopping.set()
        await asyncio.wait_for(task, 10)
        await projection.close()


async def next_result(gateway: FakeGateway) -> edge_pb2.CommandResult:
    return await asyncio.wait_for(gateway.results.get(), 10)


async def test_hello_welcome_command_applied_and_result_sent(
    gateway: FakeGateway, enrolled: Path
) -> None:
    gateway.heartbeat_interval = 1
    async with running_client(enrolled) as (client, projection):
        await gateway.wait_for_connections(1)
        connection = gateway.connections[0]
        assert connection.site_id == SITE
        assert connection.hello.agent_version == "1.2.3"
        assert connection.hello.config_generation == 0
        await asyncio.wait_for(client.connected.wait(), 10)
        assert projection.connection_state().state == "connected"

        gateway.commands.put_nowait(site_config_command("cmd-1", SITE, generation=7))
        result = await next_result(gateway)
        assert result.command_id == "cmd-1"
        assert result.ok, result.error
        assert result.site_config_applied.site_id == SITE
        assert result.site_config_applied.generation == 7
        stored = await projection.site_config()
        assert stored is not None
        assert stored.config.name == "Store 42"
        assert stored.config.bindings[0].stream == "catalog"
        assert stored.command_id == "cmd-1"

        await asyncio.wait_for(gateway.heartbeat_seen.wait(), 10)  # asked for one per second
        assert connection.heartbeats[0].sequence == 1
        assert projection.connection_state().last_contact_at is not None
    assert projection.path.exists()
    reopened = await Projection.open(enrolled)
    try:
        assert reopened.connection_state().state == "stopped"
        assert reopened.connection_state().config_generation == 7
    finally:
        await reopened.close()


async def test_same_command_twice_is_applied_once(gateway: FakeGateway, enrolled: Path) -> None:
    async with running_client(enrolled) as (_client, projection):
        gateway.commands.put_nowait(site_config_command("cmd-1", SITE, generation=5, name="A"))
        first = await next_result(gateway)
        # Redelivered with the same id; even a changed body must not be applied again.
        gateway.commands.put_nowait(site_config_command("cmd-1", SITE, generation=6, name="B"))
        second = await next_result(gateway)
        assert second == first
        stored = await projection.site_config()
        assert stored is not None
        assert (stored.config.name, stored.config.generation) == ("A", 5)
        assert await projection.applied_command_count() == 1


async def test_command_for_another_site_is_refused(gateway: FakeGateway, enrolled: Path) -> None:
    async with running_client(enrolled) as (_client, projection):
        gateway.commands.put_nowait(site_config_command("cmd-x", "store-0099"))
        result = await next_result(gateway)
        assert not result.ok
        assert "store-0099" in result.error
        assert SITE in result.error
        assert await projection.site_config() is None
        # The refusal is the command's result: a redelivery gets the same answer.
        gateway.commands.put_nowait(site_config_command("cmd-x", "store-0099"))
        assert await next_result(gateway) == result


async def test_older_generation_does_not_replace_newer(
    gateway: FakeGateway, enrolled: Path
) -> None:
    async with running_client(enrolled) as (_client, projection):
        gateway.commands.put_nowait(site_config_command("cmd-9", SITE, generation=9, name="new"))
        await next_result(gateway)
        gateway.commands.put_nowait(site_config_command("cmd-3", SITE, generation=3, name="old"))
        late = await next_result(gateway)
        assert late.ok
        assert late.site_config_applied.generation == 9
        stored = await projection.site_config()
        assert stored is not None
        assert stored.config.name == "new"


async def test_reconnects_after_the_stream_breaks(gateway: FakeGateway, enrolled: Path) -> None:
    gateway.drop_after_welcome = True  # the first stream dies right after Welcome
    async with running_client(enrolled) as (_client, _projection):
        await gateway.wait_for_connections(2)
        gateway.commands.put_nowait(site_config_command("cmd-1", SITE, generation=4))
        assert (await next_result(gateway)).ok


async def test_hello_reports_the_applied_generation(gateway: FakeGateway, enrolled: Path) -> None:
    async with running_client(enrolled):
        gateway.commands.put_nowait(site_config_command("cmd-1", SITE, generation=4))
        await next_result(gateway)
    async with running_client(enrolled):
        await gateway.wait_for_connections(2)
    assert [c.hello.config_generation for c in gateway.connections] == [0, 4]


async def test_revoked_certificate_is_recorded_with_the_gateway_message(
    gateway: FakeGateway, enrolled: Path
) -> None:
    gateway.revoked[SITE] = "certificate of site store-0042 was revoked by ops"
    async with running_client(enrolled) as (_client, projection):
        for _ in range(200):
            state = projection.connection_state()
            if state.state == "rejected":
                break
            await asyncio.sleep(0.02)
        assert state.state == "rejected"
        assert state.last_error is not None
        assert "PERMISSION_DENIED" in state.last_error
        assert "revoked by ops" in state.last_error
        assert gateway.connections == []
