"""Replication over the wire: the REAL gateway (in this process, real mTLS on loopback, real
cloud store on SQLite) and a REAL `commerce-edge run` process; what the POS sees through its
API, what the cloud ingested, and what the replication commands report."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import (
    edge_pb2,
    pos_pb2,
    pos_pb2_grpc,
    records_pb2,
    store_site_pb2,
    sync_pb2,
    sync_pb2_grpc,
)
from cloud.gateway.server import EdgeGateway
from cloud.workflows.bindings import derive_replication_bindings
from edge_agent.control.sync_channel import SyncChannel
from edge_agent.outbox import Outbox, read_outbox_pending
from edge_agent.projection import read_stream_states
from tests.edge_agent.edge_process import agent_log, agent_process, free_port
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.pos_records import sale, sales_return
from tests.edge_agent.real_gateway import CHANNEL, CloudSide
from tests.support.stack import eventually

SCOPE = f"channel/{CHANNEL}"
LONG_SCHEDULE = "3600"  # the fallback pull never fires within a test: pokes must do it


def catalog_change(sku: str, description: str = "") -> records_pb2.Change:
    return records_pb2.Change(
        stream="catalog",
        key=sku,
        scope=SCOPE,
        catalog_item=records_pb2.CatalogItem(
            sku=sku,
            description=description or f"item {sku}",
            barcodes=[f"87{sku}"],
            department="grocery",
            tax_class="standard",
            active=True,
        ),
    )


def price_change(price_id: str, sku: str, minor: int) -> records_pb2.Change:
    p = records_pb2.Price(
        price_id=price_id,
        sku=sku,
        sales_channel_id=CHANNEL,
        unit_price=records_pb2.Money(currency="EUR", minor_units=minor),
    )
    p.effective_from.FromSeconds(1_700_000_000)
    return records_pb2.Change(stream="prices", key=price_id, scope=SCOPE, price=p)


def config_command(command_id: str) -> edge_pb2.Command:
    return edge_pb2.Command(
        command_id=command_id,
        apply_site_config=store_site_pb2.SiteConfig(
            site_id=SITE,
            sales_channel_id=CHANNEL,
            name="Store 42",
            timezone="Europe/Amsterdam",
            generation=1,
            bindings=derive_replication_bindings(SITE, CHANNEL, []),
        ),
    )


async def command_result(cloud: CloudSide, command_id: str) -> edge_pb2.CommandResult:
    """The agent's answer as the cloud stored it (a functional bound of 60 s)."""
    async with asyncio.timeout(60):
        while True:
            result = await asyncio.to_thread(cloud.result, command_id)
            if result is not None:
                return result
            await asyncio.sleep(0.1)


def states(data_dir: Path) -> dict[str, tuple[int, int, str]]:
    """stream -> (applied seq, rows, digest) as the agent committed them."""
    return {s.stream: (s.applied_seq, s.rows, s.digest.hex) for s in read_stream_states(data_dir)}


def cloud_state(cloud: CloudSide, stream: str) -> tuple[int, int, str]:
    digest = cloud.store.changes.checksum(stream, [SCOPE])
    return cloud.store.changes.head(stream), digest.rows, digest.hex


@dataclass
class Store:
    data_dir: Path
    pos: pos_pb2_grpc.PosServiceStub
    proc: asyncio.subprocess.Process


@contextlib.asynccontextmanager
async def running_store(
    cloud: CloudSide, site_dir: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[Store]:
    """A real agent for SITE with its POS API, configured by a command through the gateway."""
    pos_port = free_port()
    env = {
        "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
        "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": LONG_SCHEDULE,
        **(extra_env or {}),
    }
    async with agent_process(site_dir, env) as proc:
        command_id = f"config-{uuid.uuid4().hex[:8]}"
        await asyncio.to_thread(cloud.enqueue, config_command(command_id), SITE)
        result = await command_result(cloud, command_id)
        assert result.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, result
        async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), 15)
            yield Store(site_dir, pos_pb2_grpc.PosServiceStub(channel), proc)


@contextlib.asynccontextmanager
async def publisher(gateway: EdgeGateway) -> AsyncIterator[sync_pb2_grpc.ChangePublishServiceStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.ports.publish}") as channel:
        yield sync_pb2_grpc.ChangePublishServiceStub(channel)


async def test_published_changes_reach_the_pos_api_through_pokes_not_the_schedule(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with running_store(cloud, site_dir) as store, publisher(real_gateway) as upstream:
        skus = [f"{n:06d}" for n in range(300)]
        await upstream.Publish(
            sync_pb2.PublishRequest(changes=[catalog_change(s) for s in skus[:150]])
        )
        await upstream.Publish(
            sync_pb2.PublishRequest(
                changes=[catalog_change(s) for s in skus[150:]]
                + [price_change(f"p-{s}", s, 100 + n) for n, s in enumerate(skus)]
            )
        )

        async def visible() -> bool:
            try:
                found = await store.pos.GetPrice(pos_pb2.GetPriceRequest(sku=skus[-1]))
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.NOT_FOUND, exc.details()
                return False
            return found.price.unit_price.minor_units == 399

        # The schedule is an hour: only a poke can bring the changes this soon.
        await eventually(visible, 20, 0.05)
        item = await store.pos.GetItem(pos_pb2.GetItemRequest(barcode=f"87{skus[7]}"))
        assert item.item.description == f"item {skus[7]}"

        # One more change later: also poked, also visible.
        await upstream.Publish(
            sync_pb2.PublishRequest(changes=[catalog_change(skus[0], "renamed")])
        )

        async def renamed() -> bool:
            got = await store.pos.GetItem(pos_pb2.GetItemRequest(sku=skus[0]))
            return bool(got.item.description == "renamed")

        await eventually(renamed, 20, 0.05)
        local = await asyncio.to_thread(states, site_dir)
        for stream in ("catalog", "prices"):
            assert local[stream] == await asyncio.to_thread(cloud_state, cloud, stream)
        assert "downsync applied" in agent_log(site_dir)


async def test_a_stream_the_site_is_not_bound_to_is_refused(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    channel = SyncChannel(site_dir)
    try:
        stub = await channel.stub()
        for stream in ("sales", "no-such-stream"):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.PullChanges(
                    sync_pb2.PullChangesRequest(
                        checkpoints=[
                            sync_pb2.StreamCheckpoint(stream="catalog"),
                            sync_pb2.StreamCheckpoint(stream=stream),
                        ]
                    )
                )
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
            details = refused.value.details() or ""
            assert f"not bound to stream {stream!r}" in details and SITE in details
        allowed = await stub.PullChanges(
            sync_pb2.PullChangesRequest(checkpoints=[sync_pb2.StreamCheckpoint(stream="catalog")])
        )
        assert not allowed.more
    finally:
        await channel.close()


async def test_a_push_of_another_sites_records_is_refused_and_nothing_is_stored(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    own = sync_pb2.UpstreamRecord(idempotency_key="own-1", sales_transaction=sale("own-1"))
    foreign_sale = sale("theirs-1")
    foreign_sale.receipt.site_id = "store-0099"
    foreign = sync_pb2.UpstreamRecord(idempotency_key="theirs-1", sales_transaction=foreign_sale)
    channel = SyncChannel(site_dir)
    try:
        stub = await channel.stub()
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.PushRecords(
                sync_pb2.PushRecordsRequest(batch_id="b-1", records=[own, foreign])
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "store-0099" in (refused.value.details() or "")
        assert "nothing stored" in (refused.value.details() or "")
    finally:
        await channel.close()
    assert await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE) == []
    assert await asyncio.to_thread(cloud.store.ingest.register_day_totals, "store-0099") == []


async def test_pos_sales_reach_the_cloud_exactly_once_even_when_a_batch_is_pushed_twice(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    # Sales recorded before the agent runs; their batch reaches the cloud, but the ack is
    # lost (as when the agent dies between the push and marking the batch sent).
    outbox = await Outbox.open(site_dir)
    try:
        for n in range(3):
            await outbox.record(
                sync_pb2.UpstreamRecord(
                    idempotency_key=f"early-{n}", sales_transaction=sale(f"e{n}")
                )
            )
        batch = await outbox.pending()
        assert batch is not None and len(batch.records) == 3
    finally:
        await outbox.close()
    channel = SyncChannel(site_dir)
    try:
        stub = await channel.stub()
        first = await stub.PushRecords(
            sync_pb2.PushRecordsRequest(batch_id=batch.batch_id, records=batch.records)
        )
        assert (first.ingested, first.duplicates) == (3, 0)
    finally:
        await channel.close()

    async with running_store(cloud, site_dir) as store:
        for n in range(4):
            await store.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale(f"s{n}")))
        await store.pos.RecordReturn(pos_pb2.RecordReturnRequest(sales_return=sales_return("r1")))
        expected_net = 7 * sale("x").total.minor_units + sales_return("x").total.minor_units

        async def ingested() -> bool:
            totals = await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE)
            return [(t.transactions, t.returns, t.net_minor_units) for t in totals] == [
                (7, 1, expected_net)
            ]

        # Pushed because the POS wrote (the schedule is an hour).
        await eventually(ingested, 20, 0.05)

        async def all_sent() -> bool:
            return await asyncio.to_thread(read_outbox_pending, site_dir) == 0

        await eventually(all_sent, 20, 0.05)
        assert await ingested()  # the replayed batch changed nothing


async def test_a_sigkill_in_the_middle_of_a_large_pull_resumes_to_the_clouds_checksums(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    total = 60_000
    for start in range(0, total, 10_000):
        await asyncio.to_thread(
            cloud.store.changes.append,
            [catalog_change(f"{n:07d}") for n in range(start, start + 10_000)],
        )
    head = await asyncio.to_thread(cloud.store.changes.head, "catalog")
    killed_at = -1
    async with running_store(cloud, site_dir) as store:

        async def partly_applied() -> bool:
            got = await asyncio.to_thread(states, site_dir)
            return "catalog" in got and got["catalog"][0] > 0

        await eventually(partly_applied, 60, 0.05)
        store.proc.send_signal(signal.SIGKILL)
        await store.proc.wait()
        killed_at = (await asyncio.to_thread(states, site_dir))["catalog"][0]
    assert 0 < killed_at < head, "the kill must land in the middle of the pull"

    pos_port = free_port()
    env = {
        "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
        "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": LONG_SCHEDULE,
    }
    async with agent_process(site_dir, env):

        async def caught_up() -> bool:
            got = await asyncio.to_thread(states, site_dir)
            return got.get("catalog", (0,))[0] == head

        await eventually(caught_up, 120, 0.05)
        local = await asyncio.to_thread(states, site_dir)
        assert local["catalog"] == await asyncio.to_thread(cloud_state, cloud, "catalog")
        assert local["catalog"][1] == total


async def test_run_downsync_and_run_upsync_answer_what_the_cloud_holds(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with running_store(cloud, site_dir) as store:
        for n in range(3):
            await store.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale(f"u{n}")))
        # Written to the store directly, as an import in another process does.
        appended = await asyncio.to_thread(
            cloud.store.changes.append,
            [catalog_change(f"{n:05d}") for n in range(500)]
            + [price_change(f"p{n}", f"{n:05d}", 100 + n) for n in range(200)],
        )
        heads = [
            sync_pb2.StreamCheckpoint(stream=s, applied_seq=seq)
            for s, seq in sorted(appended.heads.items())
        ]
        down_id = f"down-{uuid.uuid4().hex[:8]}"
        await asyncio.to_thread(
            cloud.enqueue,
            edge_pb2.Command(
                command_id=down_id, run_downsync=edge_pb2.RunDownsyncCommand(heads=heads)
            ),
            SITE,
        )
        down = await command_result(cloud, down_id)
        assert down.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, down
        status = down.replication_status
        checkpoints = {c.stream: c.applied_seq for c in status.checkpoints}
        checksums = {c.table: (c.rows, c.digest) for c in status.checksums}
        for stream in ("catalog", "prices"):
            _head, rows, digest = await asyncio.to_thread(cloud_state, cloud, stream)
            assert checkpoints[stream] >= appended.heads[stream]
            assert checksums[stream] == (rows, digest)

        up_id = f"up-{uuid.uuid4().hex[:8]}"
        await asyncio.to_thread(
            cloud.enqueue,
            edge_pb2.Command(command_id=up_id, run_upsync=edge_pb2.RunUpsyncCommand()),
            SITE,
        )
        up = await command_result(cloud, up_id)
        assert up.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, up
        assert up.replication_status.outbox_pending == 0
        cloud_days = await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE)
        assert [
            (d.register_id, d.business_day, d.transactions, d.returns, d.net_minor_units)
            for d in up.replication_status.register_days
        ] == [
            (d.register_id, d.business_day, d.transactions, d.returns, d.net_minor_units)
            for d in cloud_days
        ]
        assert cloud_days and cloud_days[0].transactions == 3
