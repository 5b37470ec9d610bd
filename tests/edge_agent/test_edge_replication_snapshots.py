"""Snapshots over the wire: a store behind the cloud's compaction floor, a store starting from
nothing after compaction, and a projection rebuilt on command after it was damaged.

The REAL gateway in this process (mTLS on loopback, the cloud store on SQLite) and a REAL
`commerce-edge run` process; the store's rows are checked against the cloud's checksums.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2, pos_pb2, records_pb2
from cloud.gateway.server import EdgeGateway
from tests.edge_agent.edge_process import agent_log, agent_process
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CloudSide
from tests.edge_agent.test_edge_replication_wire import (
    SCOPE,
    catalog_change,
    cloud_state,
    command_result,
    price_change,
    running_store,
    states,
)
from tests.support.stack import eventually


def _scanned(data_dir: Path, stream_table: str) -> int:
    conn = sqlite3.connect(data_dir / "state" / "edge.db")
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {stream_table}").fetchone()[0])
    finally:
        conn.close()


async def _caught_up(cloud: CloudSide, data_dir: Path, *streams: str) -> None:
    """Wait (a functional bound) until the store stands at the cloud's head of `streams`,
    then check its rows and running checksums equal the cloud's."""

    async def there() -> bool:
        got = await asyncio.to_thread(states, data_dir)
        for stream in streams:
            head = await asyncio.to_thread(cloud.store.changes.head, stream)
            if got.get(stream, (0,))[0] != head:
                return False
        return True

    try:
        await eventually(there, 90, 0.1)
    except AssertionError:
        raise AssertionError(agent_log(data_dir)[-4000:]) from None
    local = await asyncio.to_thread(states, data_dir)
    for stream in streams:
        assert local[stream] == await asyncio.to_thread(cloud_state, cloud, stream), stream


async def _behind_the_floor(cloud: CloudSide) -> int:
    """Cloud writes a store missed (changes, deletes, new items), then compaction past them;
    the new floor."""
    await asyncio.to_thread(
        cloud.store.changes.append,
        [catalog_change(f"{n:05d}", f"changed {n}") for n in range(0, 40)]
        + [
            records_pb2.Change(stream="catalog", key=f"{n:05d}", scope=SCOPE, deleted=True)
            for n in range(100, 130)
        ]
        + [catalog_change(f"{n:05d}") for n in range(1000, 1250)],
    )
    head = await asyncio.to_thread(cloud.store.changes.head, "catalog")
    return int(await asyncio.to_thread(cloud.store.changes.compact, "catalog", head + 1))


async def test_a_store_behind_the_compaction_floor_and_a_new_store_converge_from_a_snapshot(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    await asyncio.to_thread(
        cloud.store.changes.append,
        [catalog_change(f"{n:05d}") for n in range(300)]
        + [price_change(f"p{n}", f"{n:05d}", 100 + n) for n in range(50)],
    )
    async with running_store(cloud, site_dir):
        await _caught_up(cloud, site_dir, "catalog", "prices")
    before = (await asyncio.to_thread(states, site_dir))["catalog"][0]

    # While the store is off, the cloud writes and compacts past the store's checkpoint.
    floor = await _behind_the_floor(cloud)
    assert floor > before
    async with running_store(cloud, site_dir):
        await _caught_up(cloud, site_dir, "catalog", "prices")
        # ... and then keeps following the tail after the snapshot.
        await asyncio.to_thread(cloud.store.changes.append, [catalog_change("09999")])
        await _caught_up(cloud, site_dir, "catalog")
    assert "replaced by a snapshot" in agent_log(site_dir)
    assert await asyncio.to_thread(_scanned, site_dir, "catalog_items") == 300 - 30 + 250 + 1

    # A store starting from nothing (a new server for the site) takes the snapshot too.
    for leftover in (site_dir / "state").glob("edge.db*"):
        leftover.unlink()
    async with running_store(cloud, site_dir):
        await _caught_up(cloud, site_dir, "catalog", "prices")


async def test_a_damaged_projection_is_rebuilt_on_command_to_the_clouds_checksums(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    await asyncio.to_thread(
        cloud.store.changes.append,
        [catalog_change(f"{n:05d}") for n in range(200)]
        + [price_change(f"p{n}", f"{n:05d}", 100 + n) for n in range(20)],
    )
    async with running_store(cloud, site_dir) as store:
        await _caught_up(cloud, site_dir, "catalog", "prices")
        # Someone edits the store's database behind the agent's back, while it runs.
        conn = sqlite3.connect(site_dir / "state" / "edge.db")
        with conn:
            conn.execute("DELETE FROM catalog_items WHERE sku IN ('00007', '00008')")
            conn.execute("UPDATE catalog_items SET record = x'00' WHERE sku = '00009'")
        conn.close()
        command_id = f"rebuild-{uuid.uuid4().hex[:8]}"
        await asyncio.to_thread(
            cloud.enqueue,
            edge_pb2.Command(
                command_id=command_id,
                rebuild_projection=edge_pb2.RebuildProjectionCommand(reason="disk replaced"),
            ),
            SITE,
        )
        result = await command_result(cloud, command_id)
        assert result.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, (
            result,
            agent_log(site_dir)[-3000:],
        )
        checksums = {c.table: (c.rows, c.digest) for c in result.replication_status.checksums}
        for stream in ("catalog", "prices"):
            _head, rows, digest = await asyncio.to_thread(cloud_state, cloud, stream)
            assert checksums[stream] == (rows, digest), stream
        assert checksums["catalog"][0] == 200
        local = await asyncio.to_thread(states, site_dir)
        assert local["catalog"] == await asyncio.to_thread(cloud_state, cloud, "catalog")
        from_pos = await store.pos.GetItem(pos_pb2.GetItemRequest(sku="00007"))
        assert from_pos.item.sku == "00007"


async def test_a_projection_file_deleted_under_the_running_agent_is_recreated_and_rebuilt(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    await asyncio.to_thread(
        cloud.store.changes.append,
        [catalog_change(f"{n:05d}") for n in range(150)]
        + [price_change(f"p{n}", f"{n:05d}", 100 + n) for n in range(30)],
    )
    database = site_dir / "state" / "edge.db"
    async with running_store(
        cloud, site_dir, {"COMMERCE_EDGE_PROJECTION_CHECK_SECONDS": "0.2"}
    ) as store:
        await _caught_up(cloud, site_dir, "catalog", "prices")
        for path in (site_dir / "state").glob("edge.db*"):
            path.unlink()
        # The cloud keeps writing meanwhile.
        await asyncio.to_thread(cloud.store.changes.append, [catalog_change("07777")])
        await eventually(database.exists, 30, 0.05)

        # The new change may be pulled before the rebuild the deletion asked for runs.
        def rebuilt() -> bool:
            after = agent_log(site_dir).partition("was deleted while the agent ran")[2]
            return "replaced by a snapshot" in after

        await eventually(rebuilt, 30, 0.05)
        await _caught_up(cloud, site_dir, "catalog", "prices")
        item = await store.pos.GetItem(pos_pb2.GetItemRequest(sku="07777"))
        assert item.item.sku == "07777"

    # What the agent keeps besides the rows (its site configuration) is in the new file too:
    # restarted without a new configuration command, it still follows its bound streams.
    async with agent_process(site_dir, {"COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": "3600"}):
        await asyncio.to_thread(cloud.store.changes.append, [price_change("p9", "00009", 999)])
        await _caught_up(cloud, site_dir, "catalog", "prices")
