"""RunDownsync / RunUpsync through the agent's command dispatcher, with real parts: the real
gateway (in this process, mTLS on loopback), the agent's real projection and outbox files,
and the agent's real sync clients. Idempotent by command id; refusals are permanent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2, sync_pb2
from cloud.gateway.server import EdgeGateway
from edge_agent.control import CommandDispatcher, outcomes
from edge_agent.control.sync_channel import SyncChannel
from edge_agent.outbox import Outbox
from edge_agent.projection import Projection
from edge_agent.replication.commands import ReplicationCommands
from edge_agent.replication.downsync import Downsync
from edge_agent.replication.upsync import Upsync
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.pos_records import sale
from tests.edge_agent.real_gateway import CloudSide
from tests.edge_agent.test_edge_replication_wire import SCOPE, catalog_change, config_command


@dataclass
class Agent:
    dispatcher: CommandDispatcher
    projection: Projection
    outbox: Outbox


@pytest.fixture
async def agent(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> AsyncIterator[Agent]:
    projection = await Projection.open(site_dir)
    outbox = await Outbox.open(site_dir)
    channel = SyncChannel(site_dir)
    try:
        handlers = ReplicationCommands(
            Downsync(channel, projection), Upsync(channel, outbox), projection, outbox
        )
        dispatcher = CommandDispatcher(projection, SITE, handlers)
        configured = await dispatcher.handle(config_command("config-1"))
        assert configured.outcome == outcomes.SUCCEEDED, configured
        yield Agent(dispatcher, projection, outbox)
    finally:
        await channel.close()
        await outbox.close()
        await projection.close()


def downsync(command_id: str, **heads: int) -> edge_pb2.Command:
    return edge_pb2.Command(
        command_id=command_id,
        run_downsync=edge_pb2.RunDownsyncCommand(
            heads=[sync_pb2.StreamCheckpoint(stream=s, applied_seq=q) for s, q in heads.items()]
        ),
    )


async def test_a_redelivered_run_downsync_gets_its_first_answer_and_pulls_nothing_more(
    cloud: CloudSide, agent: Agent
) -> None:
    first_batch = await asyncio.to_thread(
        cloud.store.changes.append, [catalog_change(f"{n:04d}") for n in range(50)]
    )
    command = downsync("down-1", catalog=first_batch.heads["catalog"])
    first = await agent.dispatcher.handle(command)
    assert first.outcome == outcomes.SUCCEEDED, first
    (checkpoint,) = [c for c in first.replication_status.checkpoints if c.stream == "catalog"]
    assert checkpoint.applied_seq == 50
    digest = await asyncio.to_thread(cloud.store.changes.checksum, "catalog", [SCOPE])
    (checksum,) = [c for c in first.replication_status.checksums if c.table == "catalog"]
    assert (checksum.rows, checksum.digest) == (digest.rows, digest.hex)

    await asyncio.to_thread(cloud.store.changes.append, [catalog_change("9999")])
    again = await agent.dispatcher.handle(command)
    assert again == first  # the stored answer, not a second pull
    states = {s.stream: s.applied_seq for s in await agent.projection.stream_states()}
    assert states["catalog"] == 50


async def test_run_downsync_naming_a_stream_the_site_is_not_bound_to_is_refused_for_good(
    agent: Agent,
) -> None:
    refused = await agent.dispatcher.handle(downsync("down-x", sales=3))
    assert refused.outcome == outcomes.FAILED_PERMANENT
    assert refused.reason == "UnsupportedStream"
    assert "sales" in refused.message and "not bound" in refused.message
    assert await agent.dispatcher.handle(downsync("down-x", sales=3)) == refused


async def test_run_upsync_pushes_what_was_pending_and_reports_the_clouds_totals(
    cloud: CloudSide, agent: Agent
) -> None:
    for n in range(3):
        await agent.outbox.record(
            sync_pb2.UpstreamRecord(sales_transaction=sale(f"t{n}", register="till-2"))
        )
    result = await agent.dispatcher.handle(
        edge_pb2.Command(command_id="up-1", run_upsync=edge_pb2.RunUpsyncCommand())
    )
    assert result.outcome == outcomes.SUCCEEDED, result
    status = result.replication_status
    assert status.outbox_pending == 0
    cloud_days = await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE)
    assert [(d.register_id, d.transactions, d.net_minor_units) for d in status.register_days] == [
        (d.register_id, d.transactions, d.net_minor_units) for d in cloud_days
    ]
    assert [d.transactions for d in cloud_days] == [3]
