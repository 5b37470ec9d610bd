"""EdgeSyncService on the real gateway (in this process, mTLS on loopback, the real cloud
store), called with an enrolled site's own certificate through the agent's sync channel."""

from __future__ import annotations

import asyncio
import secrets
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import records_pb2, sync_pb2
from cloud.gateway.sync import PAGE_BYTE_BUDGET
from edge_agent.control.sync_channel import SyncChannel
from tests.cloud.adapters.store.change_builders import sale
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CloudSide, enroll_at, running_gateway
from tests.edge_agent.test_edge_replication_wire import SCOPE, catalog_change


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[CloudSide, SyncChannel]]:
    cloud = await asyncio.to_thread(CloudSide.under, tmp_path / "cloud")
    try:
        async with running_gateway(cloud):
            await enroll_at(cloud, tmp_path / "edge", SITE)
            channel = SyncChannel(tmp_path / "edge")
            try:
                yield cloud, channel
            finally:
                await channel.close()
    finally:
        await asyncio.to_thread(cloud.close)


async def test_a_pull_over_the_byte_budget_comes_in_several_responses_that_add_up(
    site: tuple[CloudSide, SyncChannel],
) -> None:
    cloud, channel = site
    # ~8 MB of barely compressible descriptions: over the 4 MiB a response may carry.
    changes = [catalog_change(f"{n:05d}", secrets.token_hex(1000)) for n in range(4000)]
    for start in range(0, len(changes), 1000):
        await asyncio.to_thread(cloud.store.changes.append, changes[start : start + 1000])
    stub = await channel.stub()
    after, received, responses = 0, 0, 0
    while True:
        response = await stub.PullChanges(
            sync_pb2.PullChangesRequest(
                checkpoints=[sync_pb2.StreamCheckpoint(stream="catalog", applied_seq=after)],
                max_changes=10_000,
                accept=[sync_pb2.PAGE_ENCODING_ZLIB],
            )
        )
        responses += 1
        (page,) = response.pages
        assert page.after_seq == after and page.encoding == sync_pb2.PAGE_ENCODING_ZLIB
        assert len(page.payload) <= PAGE_BYTE_BUDGET
        decoded = records_pb2.ChangeList.FromString(zlib.decompress(page.payload)).changes
        assert len(decoded) == page.change_count
        assert [c.seq for c in decoded] == list(range(after + 1, page.through_seq + 1))
        received += page.change_count
        after = page.through_seq
        if not response.more:
            break
    assert responses > 1
    assert received == 4000 and after == 4000


async def test_a_plain_pull_is_sent_plain_and_a_quiet_stream_sends_no_page(
    site: tuple[CloudSide, SyncChannel],
) -> None:
    cloud, channel = site
    await asyncio.to_thread(cloud.store.changes.append, [catalog_change("000001")])
    stub = await channel.stub()
    response = await stub.PullChanges(
        sync_pb2.PullChangesRequest(
            checkpoints=[
                sync_pb2.StreamCheckpoint(stream="catalog"),
                sync_pb2.StreamCheckpoint(stream="prices"),
            ]
        )
    )
    (page,) = response.pages
    assert page.encoding == sync_pb2.PAGE_ENCODING_PLAIN and not response.more
    (change,) = records_pb2.ChangeList.FromString(page.payload).changes
    assert (change.key, change.scope, page.head_seq) == ("000001", SCOPE, 1)


async def test_a_checkpoint_below_the_compaction_floor_gets_the_snapshot_in_pages_then_the_tail(
    site: tuple[CloudSide, SyncChannel],
) -> None:
    cloud, channel = site
    # 30 entities, 5 of them changed again and 3 deleted, then compacted past the site.
    await asyncio.to_thread(
        cloud.store.changes.append, [catalog_change(f"{n:06d}") for n in range(30)]
    )
    await asyncio.to_thread(
        cloud.store.changes.append,
        [catalog_change(f"{n:06d}", f"again {n}") for n in range(5)]
        + [
            records_pb2.Change(stream="catalog", key=f"{n:06d}", scope=SCOPE, deleted=True)
            for n in (10, 11, 12)
        ],
    )
    await asyncio.to_thread(cloud.store.changes.compact, "catalog", 36)
    floor = await asyncio.to_thread(cloud.store.changes.floor, "catalog")
    assert floor == 35
    stub = await channel.stub()
    cursor = sync_pb2.StreamCheckpoint(stream="catalog", applied_seq=4)
    snapshot: dict[str, str] = {}
    pages: list[sync_pb2.ChangePage] = []
    while True:
        response = await stub.PullChanges(
            sync_pb2.PullChangesRequest(checkpoints=[cursor], max_changes=10)
        )
        (page,) = response.pages
        pages.append(page)
        assert page.snapshot and page.snapshot_first == (len(pages) == 1)
        for change in records_pb2.ChangeList.FromString(page.payload).changes:
            assert not change.deleted and change.key not in snapshot
            snapshot[change.key] = change.catalog_item.description
        if page.snapshot_complete:
            assert not page.resume_token
            break
        assert response.more and page.resume_token
        cursor = sync_pb2.StreamCheckpoint(
            stream="catalog",
            applied_seq=4,
            want_snapshot=True,
            snapshot_resume_token=page.resume_token,
        )
    assert len(pages) == 3  # 27 live entities, 10 a page
    assert (pages[0].after_seq, pages[0].through_seq) == (4, 38)
    assert all((p.after_seq, p.through_seq) == (38, 38) for p in pages[1:])
    assert len(snapshot) == 27 and snapshot["000003"] == "again 3"
    assert "000011" not in snapshot
    # Changes after the snapshot come as the tail after its seq.
    await asyncio.to_thread(cloud.store.changes.append, [catalog_change("000099")])
    tail = await stub.PullChanges(
        sync_pb2.PullChangesRequest(
            checkpoints=[sync_pb2.StreamCheckpoint(stream="catalog", applied_seq=38)]
        )
    )
    (page,) = tail.pages
    assert not page.snapshot and (page.after_seq, page.through_seq) == (38, 39)


async def test_a_snapshot_is_sent_on_request_and_a_foreign_resume_token_is_refused(
    site: tuple[CloudSide, SyncChannel],
) -> None:
    cloud, channel = site
    await asyncio.to_thread(
        cloud.store.changes.append, [catalog_change(f"{n:06d}") for n in range(3)]
    )
    stub = await channel.stub()
    asked = await stub.PullChanges(
        sync_pb2.PullChangesRequest(
            checkpoints=[
                sync_pb2.StreamCheckpoint(stream="catalog", applied_seq=3, want_snapshot=True)
            ]
        )
    )
    (page,) = asked.pages
    assert page.snapshot and page.snapshot_first and page.snapshot_complete
    assert (page.after_seq, page.through_seq, page.change_count) == (3, 3, 3)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.PullChanges(
            sync_pb2.PullChangesRequest(
                checkpoints=[
                    sync_pb2.StreamCheckpoint(
                        stream="catalog", applied_seq=3, snapshot_resume_token=b"not a token"
                    )
                ]
            )
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "start the snapshot again" in (refused.value.details() or "").lower()


async def test_pulls_and_pushes_record_what_the_store_reported(
    site: tuple[CloudSide, SyncChannel],
) -> None:
    cloud, channel = site
    await asyncio.to_thread(
        cloud.store.changes.append, [catalog_change(f"{n:06d}") for n in range(3)]
    )
    stub = await channel.stub()
    await stub.PullChanges(
        sync_pb2.PullChangesRequest(
            checkpoints=[sync_pb2.StreamCheckpoint(stream="catalog", applied_seq=2)],
            outbox_pending=4,
        )
    )
    report = await asyncio.to_thread(cloud.store.sync_reports.get, SITE)
    assert report.applied["catalog"].applied_seq == 2
    assert report.outbox_pending == 4 and report.last_push_at is None
    # The same report again within the refresh interval is not written again; a moved one is.
    await stub.PullChanges(
        sync_pb2.PullChangesRequest(
            checkpoints=[sync_pb2.StreamCheckpoint(stream="catalog", applied_seq=3)]
        )
    )
    report = await asyncio.to_thread(cloud.store.sync_reports.get, SITE)
    assert report.applied["catalog"].applied_seq == 3
    assert report.outbox_pending == 4  # a pull that does not say keeps the last depth
    await stub.PushRecords(
        sync_pb2.PushRecordsRequest(
            batch_id="b-1", records=[sale("s-1", site=SITE)], outbox_pending=0
        )
    )
    report = await asyncio.to_thread(cloud.store.sync_reports.get, SITE)
    assert report.outbox_pending == 0 and report.last_push_at is not None


async def test_a_refused_pull_records_nothing(site: tuple[CloudSide, SyncChannel]) -> None:
    cloud, channel = site
    stub = await channel.stub()
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.PullChanges(
            sync_pb2.PullChangesRequest(
                checkpoints=[
                    sync_pb2.StreamCheckpoint(stream="catalog", applied_seq=1),
                    sync_pb2.StreamCheckpoint(stream="inventory_adjustments"),
                ],
                outbox_pending=1,
            )
        )
    report = await asyncio.to_thread(cloud.store.sync_reports.get, SITE)
    assert report.applied == {} and report.outbox_pending is None
