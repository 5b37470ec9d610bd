"""End to end: `commerce-cloud sites sync-status` shows what a real store applied against the
cloud's heads, its outbox and its last upsync, and how far behind a stopped store falls.

Real Temporal dev server, worker and gateway in this process; a real `commerce-edge` process
pulling on pokes only and serving POS software on loopback; the CLI run as ops run it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import pos_pb2, pos_pb2_grpc
from cloud.services.sync_status import SiteSyncStatus
from tests.cloud.adapters.store.change_builders import item
from tests.e2e.test_replication_workflows import _ready_site, _sale
from tests.support.stack import (
    Stack,
    agent_log_tail,
    cli,
    cloud_stack,
    eventually,
    free_port,
)
from tests.support.stack import agent_process as _agent_process

pytestmark = pytest.mark.usefixtures("temporal_cli")

SITE = "store-lag"
SCOPE = "channel/web-eu"


async def _status(stack: Stack) -> SiteSyncStatus:
    return await asyncio.to_thread(stack.ops.sync_status.site, SITE)


async def _cli_json(stack: Stack, *args: str) -> list[dict[str, Any]]:
    done = await asyncio.to_thread(cli, stack, "sites", "sync-status", *args, "--json")
    assert done.returncode == 0, done.stderr
    parsed: list[dict[str, Any]] = json.loads(done.stdout)
    return parsed


async def _caught_up(stack: Stack, catalog_head: int) -> bool:
    status = await _status(stack)
    heads = {s.stream: s.head_seq for s in status.streams}
    return heads.get("catalog") == catalog_head and all(
        s.applied_seq == s.head_seq for s in status.streams
    )


async def test_sync_status_follows_a_real_store_and_shows_a_stopped_one_falling_behind(
    tmp_path: Path,
) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.data.publish_synthetic, 20, "web-eu")
        agent_dir = tmp_path / "store"
        pos_port = free_port()
        handle = await _ready_site(stack, SITE, agent_dir, pos_port)
        env = {
            "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
            # Pokes and pushes on sale only: the schedule would hide a missing report.
            "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": "3600",
        }
        replication = stack.ops.replication_through(stack.client)
        async with _agent_process(agent_dir, env):
            await asyncio.wait_for(handle.result(), 60)  # type: ignore[attr-defined]
            # New changes after the store is ready reach it by a poke; it reports them applied.
            await asyncio.to_thread(
                stack.store.changes.append, [item(f"SKU-NEW-{n}", scope=SCOPE) for n in range(5)]
            )
            try:
                await eventually(lambda: _caught_up(stack, 25), timeout=60)
            except AssertionError:
                raise AssertionError(agent_log_tail(agent_dir)) from None
            down = await asyncio.wait_for(replication.downsync(SITE), 120)
            assert down.checkpoints["catalog"] > 0

            [shown] = await _cli_json(stack, SITE)
            assert shown["site_id"] == SITE
            catalog = next(s for s in shown["streams"] if s["stream"] == "catalog")
            assert catalog["head_seq"] == 25
            for stream in shown["streams"]:
                assert stream["applied_seq"] == stream["head_seq"], shown
                assert stream["lag_changes"] == 0 and stream["lag_seconds"] == 0, shown
            assert shown["lag_changes"] == 0
            assert shown["outbox_pending"] == 0  # reported on its pulls
            assert shown["last_upsync_at"] is None  # nothing pushed yet
            assert shown["last_checksum"]["result"] == "match"

            # A sale at the till is pushed on its own; the cloud sees the push and an empty outbox.
            async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
                pos = pos_pb2_grpc.PosServiceStub(channel)
                await pos.RecordSale(pos_pb2.RecordSaleRequest(sale=_sale(SITE, 1)))

            async def pushed() -> bool:
                status = await _status(stack)
                return status.last_upsync_at is not None and status.outbox_pending == 0

            await eventually(pushed, timeout=60)
            [shown] = await _cli_json(stack)  # every ready site: this is the only one
            assert shown["site_id"] == SITE
            assert shown["outbox_pending"] == 0 and shown["last_upsync_at"] is not None

        # The store is off; the cloud publishes on.
        await asyncio.to_thread(
            stack.store.changes.append, [item(f"SKU-LATE-{n}", scope=SCOPE) for n in range(3)]
        )
        [shown] = await _cli_json(stack, SITE)
        catalog = next(s for s in shown["streams"] if s["stream"] == "catalog")
        assert (catalog["applied_seq"], catalog["head_seq"]) == (25, 28)
        assert catalog["lag_changes"] == 3 and shown["lag_changes"] == 3
        assert catalog["lag_seconds"] > 0

        people = await asyncio.to_thread(cli, stack, "sites", "sync-status", SITE)
        assert people.returncode == 0, people.stderr
        assert SITE in people.stdout and "catalog" in people.stdout

        unknown = await asyncio.to_thread(cli, stack, "sites", "sync-status", "store-nope")
        assert unknown.returncode != 0
        assert "store-nope does not exist" in unknown.stderr
