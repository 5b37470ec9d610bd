"""The POS API of a real `commerce-edge run` process, called over real gRPC on loopback:
lookups from the projection, records into the durable outbox, refusals that name the field."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest

from ameide_core_proto.process.commerce.v1 import pos_pb2, pos_pb2_grpc, records_pb2
from edge_agent.outbox import outbox_path
from edge_agent.projection import Projection
from tests.edge_agent.edge_fake_gateway import FakeGateway, TestCA, site_config_command
from tests.edge_agent.edge_process import agent_log, agent_process, free_port
from tests.edge_agent.edge_support import SITE, enroll_site
from tests.edge_agent.pos_records import adjustment, sale, sales_return
from tests.edge_agent.replication_pages import changes, item, page, price

BASE = 1_700_000_000


def _promotion(pid: str, *skus: str) -> records_pb2.Promotion:
    promo = records_pb2.Promotion(
        promotion_id=pid, sales_channel_id="web-eu", description=pid, skus=list(skus)
    )
    promo.percent_off_basis_points = 1000
    promo.starts_at.FromSeconds(BASE)
    return promo


def _customer(cid: str, email: str, loyalty: str, channel: str = "web-eu") -> records_pb2.Customer:
    return records_pb2.Customer(
        customer_id=cid, sales_channel_id=channel, name=cid, email=email, loyalty_number=loyalty
    )


async def _seed(data_dir: Path) -> None:
    projection = await Projection.open(data_dir)
    try:
        await projection.apply_page(
            page("catalog", 0, changes([item("A", "8710001"), item("B")], 1))
        )
        await projection.apply_page(
            page(
                "prices",
                0,
                changes(
                    [
                        price("p1", "A", 250, from_seconds=BASE),
                        price("p2", "A", 199, from_seconds=BASE + 1000),
                        price("p3", "A", 300, from_seconds=BASE, channel="other"),
                    ],
                    1,
                ),
            )
        )
        await projection.apply_page(
            page("promotions", 0, changes([_promotion("all"), _promotion("b-only", "B")], 1))
        )
        await projection.apply_page(
            page(
                "customers",
                0,
                changes(
                    [
                        _customer("c1", "Ann@Example.com", "L-1"),
                        _customer("c2", "bob@example.com", "L-2", channel="other"),
                    ],
                    1,
                ),
            )
        )
    finally:
        await projection.close()


@dataclass
class Agent:
    data_dir: Path
    pos: pos_pb2_grpc.PosServiceStub
    health: str


@pytest.fixture(scope="module")
async def agent(test_ca: TestCA, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Agent]:
    gateway = FakeGateway(test_ca)
    await gateway.start()
    data_dir = tmp_path_factory.mktemp("pos") / "edge"
    try:
        await enroll_site(gateway, data_dir)
        await _seed(data_dir)
        pos_port, health_port = free_port(), free_port()
        env = {
            "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
            "COMMERCE_EDGE_HEALTH_ADDRESS": f"127.0.0.1:{health_port}",
        }
        async with agent_process(data_dir, env) as proc:
            await gateway.wait_for_connections(1)
            gateway.commands.put_nowait(site_config_command("cmd-1", SITE))  # channel web-eu
            result = await asyncio.wait_for(gateway.results.get(), 10)
            assert result.ok, result
            async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
                await asyncio.wait_for(channel.channel_ready(), 15)
                assert proc.returncode is None, agent_log(data_dir)
                yield Agent(
                    data_dir,
                    pos_pb2_grpc.PosServiceStub(channel),
                    f"http://127.0.0.1:{health_port}",
                )
    finally:
        await gateway.stop()


async def _refused(call: object, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await call  # type: ignore[misc]
    assert failure.value.code() == code, failure.value.details()
    return failure.value.details() or ""


async def test_items_are_found_by_sku_and_by_barcode(agent: Agent) -> None:
    by_sku = await agent.pos.GetItem(pos_pb2.GetItemRequest(sku="A"))
    by_barcode = await agent.pos.GetItem(pos_pb2.GetItemRequest(barcode="8710001"))
    assert by_sku.item == by_barcode.item == item("A", "8710001")
    details = await _refused(
        agent.pos.GetItem(pos_pb2.GetItemRequest(barcode="0000")), grpc.StatusCode.NOT_FOUND
    )
    assert "'0000'" in details
    await _refused(agent.pos.GetItem(pos_pb2.GetItemRequest()), grpc.StatusCode.INVALID_ARGUMENT)


async def test_the_price_is_the_one_in_effect_on_the_sites_channel(agent: Agent) -> None:
    def at(seconds: int) -> pos_pb2.GetPriceRequest:
        request = pos_pb2.GetPriceRequest(sku="A")
        request.at.FromSeconds(seconds)
        return request

    assert (await agent.pos.GetPrice(at(BASE + 10))).price.price_id == "p1"
    assert (await agent.pos.GetPrice(at(BASE + 5000))).price.price_id == "p2"
    now = await agent.pos.GetPrice(pos_pb2.GetPriceRequest(sku="A"))
    assert now.price.price_id == "p2"
    other = pos_pb2.GetPriceRequest(sku="A", sales_channel_id="other")
    assert (await agent.pos.GetPrice(other)).price.price_id == "p3"
    await _refused(agent.pos.GetPrice(at(BASE - 1)), grpc.StatusCode.NOT_FOUND)


async def test_active_promotions_for_an_item(agent: Agent) -> None:
    all_of_them = await agent.pos.ListActivePromotions(pos_pb2.ListActivePromotionsRequest())
    assert [p.promotion_id for p in all_of_them.promotions] == ["all", "b-only"]
    for_a = await agent.pos.ListActivePromotions(pos_pb2.ListActivePromotionsRequest(sku="A"))
    assert [p.promotion_id for p in for_a.promotions] == ["all"]


async def test_customers_of_the_sites_channel_are_found(agent: Agent) -> None:
    by_email = await agent.pos.FindCustomer(pos_pb2.FindCustomerRequest(email="ann@example.COM"))
    assert by_email.customer.customer_id == "c1"
    by_card = await agent.pos.FindCustomer(pos_pb2.FindCustomerRequest(loyalty_number="L-1"))
    assert by_card.customer.customer_id == "c1"
    await _refused(  # another channel's customer
        agent.pos.FindCustomer(pos_pb2.FindCustomerRequest(loyalty_number="L-2")),
        grpc.StatusCode.NOT_FOUND,
    )


def _outbox_ids(data_dir: Path) -> list[str]:
    conn = sqlite3.connect(outbox_path(data_dir))
    try:
        return [r[0] for r in conn.execute("SELECT record_id FROM outbox ORDER BY position")]
    finally:
        conn.close()


async def test_a_sale_is_on_disk_when_the_answer_comes_and_a_repeat_writes_nothing(
    agent: Agent,
) -> None:
    first = await agent.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale("T-100")))
    assert (first.transaction_id, first.newly_recorded) == ("T-100", True)
    assert "sales/T-100" in _outbox_ids(agent.data_dir)
    again = await agent.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale("T-100")))
    assert again.newly_recorded is False
    assert _outbox_ids(agent.data_dir).count("sales/T-100") == 1
    ret = await agent.pos.RecordReturn(
        pos_pb2.RecordReturnRequest(sales_return=sales_return("R-1"))
    )
    adj = await agent.pos.RecordInventoryAdjustment(
        pos_pb2.RecordInventoryAdjustmentRequest(adjustment=adjustment("ADJ-1"))
    )
    assert ret.newly_recorded and adj.newly_recorded
    assert {"returns/R-1", "inventory-adjustments/ADJ-1"} <= set(_outbox_ids(agent.data_dir))


async def test_a_bad_sale_is_refused_naming_the_field_and_nothing_is_recorded(
    agent: Agent,
) -> None:
    bad = sale("T-BAD")
    bad.lines[1].quantity = -1
    details = await _refused(
        agent.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=bad)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details.startswith("lines[1].quantity: must be positive on a sale; use RecordReturn")
    other_store = sale("T-ELSEWHERE")
    other_store.receipt.site_id = "store-0001"
    details = await _refused(
        agent.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=other_store)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details.startswith("receipt.site_id:")
    assert not {"sales/T-BAD", "sales/T-ELSEWHERE"} & set(_outbox_ids(agent.data_dir))


async def test_a_reused_id_with_other_content_is_refused(agent: Agent) -> None:
    await agent.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale("T-200")))
    changed = sale("T-200", register="till-9")
    details = await _refused(
        agent.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=changed)),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert "'T-200' was recorded before with different content" in details


async def test_a_stream_of_sales_is_answered_in_order_each_on_disk_and_repeats_write_nothing(
    agent: Agent,
) -> None:
    ids = [f"S-{n:03d}" for n in range(300)]
    answers = [
        a
        async for a in agent.pos.RecordSales(
            pos_pb2.RecordSalesRequest(sale=sale(i)) for i in [*ids, "S-000", "T-100"]
        )
    ]
    assert [a.transaction_id for a in answers] == [*ids, "S-000", "T-100"]
    assert [a.newly_recorded for a in answers] == [True] * 300 + [False, False]
    recorded = _outbox_ids(agent.data_dir)
    assert all(recorded.count(f"sales/{i}") == 1 for i in ids)


async def test_a_stream_stops_at_the_first_bad_sale_naming_it_and_records_none_after_it(
    agent: Agent,
) -> None:
    bad = sale("U-002")
    bad.lines[1].quantity = -1
    sent = [sale("U-000"), sale("U-001"), bad, sale("U-003")]
    call = agent.pos.RecordSales(iter([pos_pb2.RecordSalesRequest(sale=s) for s in sent]))
    answered = []
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        async for answer in call:
            answered.append(answer.transaction_id)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (failure.value.details() or "").startswith(
        "sales[2] (transaction_id 'U-002'): lines[1].quantity: must be positive on a sale"
    )
    assert answered == ["U-000", "U-001"]
    recorded = set(_outbox_ids(agent.data_dir))
    assert {"sales/U-000", "sales/U-001"} <= recorded
    assert not {"sales/U-002", "sales/U-003"} & recorded


async def test_health_page_and_status_show_streams_and_outbox_depth(agent: Agent) -> None:
    await agent.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale("T-300")))
    pending = len(_outbox_ids(agent.data_dir))
    async with httpx.AsyncClient(base_url=agent.health, timeout=5) as http:
        body = (await http.get("/health.json")).json()
        html = (await http.get("/")).text
    streams = {s["stream"]: s for s in body["streams"]}
    assert (streams["catalog"]["applied_seq"], streams["catalog"]["rows"]) == (2, 2)
    assert (streams["prices"]["applied_seq"], streams["prices"]["rows"]) == (3, 3)
    assert body["outbox_pending"] == pending
    assert "Stream catalog" in html and "applied seq 2 of 2, 2 rows" in html
    status = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "commerce-edge"),
        "status",
        "--json",
        "--data-dir",
        str(agent.data_dir),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(status.communicate(), 30)
    report = json.loads(out)
    assert report["outbox_pending"] == pending
    assert {s["stream"]: s["rows"] for s in report["streams"]} == {
        "catalog": 2,
        "customers": 2,
        "prices": 3,
        "promotions": 2,
    }
