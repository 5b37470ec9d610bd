"""Pokes (ChangesAvailable) from the gateway's head watch, over the real session registry and
the real cloud store: bound sessions are told once per head move, and a session that stopped
reading is closed without holding up the others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.gateway.pokes import HeadWatcher
from cloud.gateway.sessions import SessionRegistry
from tests.edge_agent.real_gateway import CloudSide
from tests.edge_agent.test_edge_replication_wire import catalog_change, price_change


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[CloudSide]:
    side = await asyncio.to_thread(CloudSide.under, tmp_path)
    try:
        for site in ("store-a", "store-b"):
            await asyncio.to_thread(side.add_site, site)
        yield side
    finally:
        await asyncio.to_thread(side.close)


def drain(outbox: asyncio.Queue[edge_pb2.ConnectResponse | None]) -> list[dict[str, int]]:
    """The heads of every ChangesAvailable frame queued so far."""
    told = []
    while not outbox.empty():
        frame = outbox.get_nowait()
        if frame is not None and frame.WhichOneof("frame") == "changes_available":
            told.append({h.stream: h.applied_seq for h in frame.changes_available.heads})
    return told


async def test_bound_sessions_are_told_each_new_head_once_and_a_stuck_one_is_dropped(
    cloud: CloudSide,
) -> None:
    registry = SessionRegistry(cloud.store)
    watcher = HeadWatcher(cloud.store, registry)
    stuck = await registry.open("store-a", "serial-a")
    reading = await registry.open("store-b", "serial-b")
    while not stuck.outbox.full():
        stuck.outbox.put_nowait(edge_pb2.ConnectResponse(heartbeat=edge_pb2.Heartbeat()))

    await asyncio.to_thread(
        cloud.store.changes.append, [catalog_change("000001"), price_change("p1", "000001", 5)]
    )
    assert await watcher.poke_once() == 1
    assert drain(reading.outbox) == [{"catalog": 1, "prices": 1}]
    assert stuck.closed_reason is not None and "not reading" in stuck.closed_reason

    assert await watcher.poke_once() == 0  # nothing moved: nobody is told again
    assert drain(reading.outbox) == []

    await asyncio.to_thread(cloud.store.changes.append, [catalog_change("000002")])
    assert await watcher.poke_once() == 1
    assert drain(reading.outbox) == [{"catalog": 2}]
