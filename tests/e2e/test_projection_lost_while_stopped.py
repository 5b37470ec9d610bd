"""End to end: the projection file lost or damaged while the agent was stopped.

Real Temporal dev server, worker and gateway in this process; a real `commerce-edge` process
whose control link runs through a loopback proxy that can cut it; the catalog published
through the data service. The agent is stopped, its database file deleted, and started again.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import conditions_pb2, pos_pb2, pos_pb2_grpc, records_pb2
from edge_agent.outbox import read_outbox_pending
from tests.support.cut_proxy import CutProxy, point_agent_at
from tests.support.stack import (
    agent_log_tail,
    agent_process,
    agent_status,
    cloud_stack,
    enroll_agent,
    eventually,
    free_port,
)

pytestmark = pytest.mark.usefixtures("temporal_cli")

ITEMS = 60
SITE = "store-lost"
TRUE = conditions_pb2.CONDITION_STATUS_TRUE


def _sale(number: int) -> records_pb2.SalesTransaction:
    money = records_pb2.Money(currency="EUR", minor_units=500)
    sale = records_pb2.SalesTransaction(
        transaction_id=f"{SITE}-r1-{number}",
        receipt=records_pb2.ReceiptRef(
            site_id=SITE, register_id="r1", business_day="2026-11-25", receipt_number=str(number)
        ),
        lines=[
            records_pb2.TransactionLine(
                line_number=1,
                sku="SKU-0000001",
                quantity=1,
                unit_price=money,
                discount=records_pb2.Money(currency="EUR"),
                tax=records_pb2.Money(currency="EUR"),
                line_total=money,
            )
        ],
        tenders=[records_pb2.Tender(tender_type="cash", amount=money)],
        total=money,
    )
    sale.occurred_at.FromDatetime(datetime.now(UTC))
    return sale


def _health(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health.json", timeout=5) as response:
        return dict(json.loads(response.read()))


def _health_any(port: int) -> dict[str, Any] | None:
    """The health report (also while not healthy: 503 with the report); None before the
    page is up."""
    try:
        return _health(port)
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read()))
    except OSError:
        return None


def _conditions(result: Any) -> dict[str, Any]:
    return {c.type: c for c in result.conditions}


async def test_a_projection_deleted_while_stopped_is_rebuilt_and_the_outbox_keeps_its_sales(
    tmp_path: Path,
) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        await asyncio.to_thread(stack.ops.data.publish_synthetic, ITEMS, "web-eu")
        handle, status = await stack.provision(SITE)
        agent_dir = tmp_path / "store"
        assert (await enroll_agent(stack.enrollment(status), agent_dir)).returncode == 0
        assert stack.running.ports is not None
        link = CutProxy(stack.running.ports.control)
        point_agent_at(agent_dir, await link.start())
        pos_port, health_port = free_port(), free_port()
        env = {
            "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
            "COMMERCE_EDGE_HEALTH_ADDRESS": f"127.0.0.1:{health_port}",
            "COMMERCE_EDGE_RECONNECT_INITIAL_SECONDS": "0.05",
            "COMMERCE_EDGE_RECONNECT_MAX_SECONDS": "0.5",
            "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": "3600",
        }
        replication = stack.ops.replication_through(stack.client)
        try:
            async with agent_process(agent_dir, env):
                await asyncio.wait_for(handle.result(), 60)
                first = await asyncio.wait_for(replication.downsync(SITE), 120)
                assert _conditions(first)["ChecksumsMatch"].status == TRUE, first
                # The store goes offline; the sales stay in the outbox (its own file).
                link.go_offline()
                async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
                    pos = pos_pb2_grpc.PosServiceStub(channel)
                    for number in range(1, 4):
                        await pos.RecordSale(pos_pb2.RecordSaleRequest(sale=_sale(number)))
            assert read_outbox_pending(agent_dir) == 3

            # While the agent is stopped, its projection file is deleted.
            state = agent_dir / "state"
            for name in ("edge.db", "edge.db-wal", "edge.db-shm"):
                (state / name).unlink(missing_ok=True)
            link.heal()

            async with agent_process(agent_dir, env):
                await eventually(lambda: _health_any(health_port) is not None, timeout=30)
                report = await asyncio.to_thread(_health_any, health_port)
                assert report is not None
                assert "projection rebuilt at start" in report["projection_rebuilt"], report
                assert "file was missing" in report["projection_rebuilt"]
                # The site configuration came back from the copy kept beside the file.
                assert report["config_generation"] >= 1, report

                async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
                    pos = pos_pb2_grpc.PosServiceStub(channel)

                    async def item_back() -> bool:
                        try:
                            got = await pos.GetItem(pos_pb2.GetItemRequest(sku="SKU-0000001"))
                        except grpc.aio.AioRpcError:
                            return False
                        return got.item.sku == "SKU-0000001"

                    await eventually(item_back, timeout=60)

                again = await asyncio.wait_for(replication.downsync(SITE), 120)
                assert _conditions(again)["ChecksumsMatch"].status == TRUE, again
                rows = {c.table: c.rows for c in again.checksums}
                assert rows["catalog"] == ITEMS and rows["prices"] == ITEMS

                up = await asyncio.wait_for(replication.upsync(SITE), 120)
                assert up.records_ingested == 3, up
        except BaseException:
            print(agent_log_tail(agent_dir))
            raise
        finally:
            await link.stop()

        shown = await agent_status(agent_dir)
        assert "file was missing" in shown["projection_rebuilt"], shown
