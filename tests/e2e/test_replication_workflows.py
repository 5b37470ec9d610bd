"""End to end: RunDownsync and RunUpsync against a real agent, reconciled by the cloud.

Real Temporal dev server, worker and gateway in this process; a real `commerce-edge` process
serving POS software on loopback; the catalog published through the data service.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import (
    conditions_pb2,
    facts_pb2,
    pos_pb2,
    pos_pb2_grpc,
    records_pb2,
)
from tests.support.stack import (
    Stack,
    agent_log_tail,
    cli,
    cloud_stack,
    enroll_agent,
    free_port,
)
from tests.support.stack import agent_process as _agent_process

pytestmark = pytest.mark.usefixtures("temporal_cli")

ITEMS = 300
TRUE = conditions_pb2.CONDITION_STATUS_TRUE
FALSE = conditions_pb2.CONDITION_STATUS_FALSE


def _money(units: int) -> records_pb2.Money:
    return records_pb2.Money(currency="EUR", minor_units=units)


def _sale(site_id: str, number: int) -> records_pb2.SalesTransaction:
    sale = records_pb2.SalesTransaction(
        transaction_id=f"{site_id}-r1-{number}",
        receipt=records_pb2.ReceiptRef(
            site_id=site_id,
            register_id="r1",
            business_day="2026-11-25",
            receipt_number=str(number),
        ),
        lines=[
            records_pb2.TransactionLine(
                line_number=1,
                sku="SKU-0000001",
                quantity=2,
                unit_price=_money(250),
                discount=_money(0),
                tax=_money(0),
                line_total=_money(500),
            )
        ],
        tenders=[records_pb2.Tender(tender_type="cash", amount=_money(500))],
        total=_money(500),
    )
    sale.occurred_at.FromDatetime(datetime.now(UTC))
    return sale


async def _ready_site(stack: Stack, site_id: str, agent_dir: Path, pos_port: int) -> object:
    handle, status = await stack.provision(site_id)
    assert (await enroll_agent(stack.enrollment(status), agent_dir)).returncode == 0
    return handle


def _conditions(result: object) -> dict[str, object]:
    return {c.type: c for c in result.conditions}  # type: ignore[attr-defined]


async def test_downsync_and_upsync_reconcile_with_a_real_agent(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.data.publish_synthetic, ITEMS, "web-eu")
        agent_dir = tmp_path / "store"
        pos_port = free_port()
        handle = await _ready_site(stack, "store-sync", agent_dir, pos_port)
        env = {
            "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
            # Pokes and directed pulls only: the schedule would hide a missing poke.
            "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": "3600",
        }
        replication = stack.ops.replication_through(stack.client)
        async with _agent_process(agent_dir, env):
            await asyncio.wait_for(handle.result(), 60)  # type: ignore[attr-defined]

            # Downsync: the projection equals the cloud's, proven by checksums.
            try:
                down = await asyncio.wait_for(replication.downsync("store-sync"), 120)
            except BaseException:
                raise AssertionError(agent_log_tail(agent_dir)) from None
            assert _conditions(down)["ChecksumsMatch"].status == TRUE, down  # type: ignore[attr-defined]
            rows = {c.table: c.rows for c in down.checksums}
            assert rows["catalog"] == ITEMS and rows["prices"] == ITEMS
            assert down.checkpoints["catalog"] > 0

            # What POS software sees comes from the store's own disk.
            async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
                pos = pos_pb2_grpc.PosServiceStub(channel)
                item = await pos.GetItem(pos_pb2.GetItemRequest(sku="SKU-0000001"))
                assert item.item.sku == "SKU-0000001"
                for number in range(1, 4):
                    await pos.RecordSale(
                        pos_pb2.RecordSaleRequest(sale=_sale("store-sync", number))
                    )

            # Upsync: every sale reaches the cloud once, and the totals agree.
            up = await asyncio.wait_for(replication.upsync("store-sync"), 120)
            assert _conditions(up)["UpsyncReconciled"].status == TRUE, up  # type: ignore[attr-defined]
            assert up.records_ingested == 3
            again = await asyncio.wait_for(replication.upsync("store-sync"), 120)
            assert again.records_ingested == 3

        facts = [f.fact_type for f in stack.store.facts.tail(0, 50, "site/store-sync")]
        assert facts.count("DownsyncCompleted") == 1
        assert facts.count("UpsyncCompleted") == 2
        completed = next(
            facts_pb2.ProcessFact.FromString(f.payload)
            for f in stack.store.facts.tail(0, 50, "site/store-sync")
            if f.fact_type == "DownsyncCompleted"
        )
        assert completed.downsync_completed.checksums_match


async def test_a_tampered_projection_is_a_condition_with_both_numbers(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.data.publish_synthetic, 50, "web-eu")
        agent_dir = tmp_path / "store"
        handle = await _ready_site(stack, "store-tamper", agent_dir, free_port())
        replication = stack.ops.replication_through(stack.client)
        env = {"COMMERCE_EDGE_POS_ADDRESS": ""}
        async with _agent_process(agent_dir, env):
            await asyncio.wait_for(handle.result(), 60)  # type: ignore[attr-defined]
            first = await asyncio.wait_for(replication.downsync("store-tamper"), 120)
            assert _conditions(first)["ChecksumsMatch"].status == TRUE
        # Someone edits the store's database behind the agent's back.
        conn = sqlite3.connect(agent_dir / "state" / "edge.db")
        with conn:
            deleted = conn.execute("DELETE FROM catalog_items WHERE sku = 'SKU-0000007'").rowcount
        conn.close()
        assert deleted == 1
        async with _agent_process(agent_dir, env):
            second = await asyncio.wait_for(replication.downsync("store-tamper"), 120)
        condition = _conditions(second)["ChecksumsMatch"]
        assert condition.status == FALSE, second  # type: ignore[attr-defined]
        assert condition.reason == "ChecksumMismatch"  # type: ignore[attr-defined]
        assert "store has 49 rows" in condition.message  # type: ignore[attr-defined]
        assert "cloud has 50 rows" in condition.message  # type: ignore[attr-defined]


async def test_sites_rebuild_repairs_a_damaged_projection_and_the_checksums_match(
    tmp_path: Path,
) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.data.publish_synthetic, 80, "web-eu")
        agent_dir = tmp_path / "store"
        handle = await _ready_site(stack, "store-rebuild", agent_dir, free_port())
        replication = stack.ops.replication_through(stack.client)
        async with _agent_process(agent_dir, {"COMMERCE_EDGE_POS_ADDRESS": ""}):
            await asyncio.wait_for(handle.result(), 60)  # type: ignore[attr-defined]
            first = await asyncio.wait_for(replication.downsync("store-rebuild"), 120)
            assert _conditions(first)["ChecksumsMatch"].status == TRUE
            # Rows deleted and a record garbled behind the agent's back, while it runs.
            conn = sqlite3.connect(agent_dir / "state" / "edge.db")
            with conn:
                conn.execute(
                    "DELETE FROM catalog_items WHERE sku IN ('SKU-0000003', 'SKU-0000004')"
                )
                conn.execute("UPDATE prices SET record = x'00' WHERE rowid = 1")
            conn.close()
            damaged = await asyncio.wait_for(replication.downsync("store-rebuild"), 120)
            assert _conditions(damaged)["ChecksumsMatch"].status == FALSE

            rebuilt = await asyncio.to_thread(
                cli, stack, "sites", "rebuild", "store-rebuild", "--reason", "disk check",
                "--json",
            )  # fmt: skip
            assert rebuilt.returncode == 0, (rebuilt.stderr, agent_log_tail(agent_dir))
            result = json.loads(rebuilt.stdout)
            conditions = {c["type"]: c for c in result["conditions"]}
            assert conditions["ChecksumsMatch"]["status"] == "CONDITION_STATUS_TRUE", result
            rows = {c["table"]: int(c.get("rows", 0)) for c in result["checksums"]}
            assert rows["catalog"] == 80 and rows["prices"] == 80

            again = await asyncio.wait_for(replication.downsync("store-rebuild"), 120)
            assert _conditions(again)["ChecksumsMatch"].status == TRUE

        rebuilt_facts = [
            facts_pb2.ProcessFact.FromString(f.payload).projection_rebuilt
            for f in stack.store.facts.tail(0, 50, "site/store-rebuild")
            if f.fact_type == "ProjectionRebuilt"
        ]
        assert len(rebuilt_facts) == 1
        assert rebuilt_facts[0].checksums_match and rebuilt_facts[0].reason == "disk check"
