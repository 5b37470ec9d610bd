"""The durable outbox on a real SQLite file: once per id, batches in order, day totals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.errors import OutboxConflict
from edge_agent.outbox import Outbox, outbox_path, read_outbox_pending
from tests.edge_agent.pos_records import adjustment, sale, sales_return


def _up(record: object) -> sync_pb2.UpstreamRecord:
    up = sync_pb2.UpstreamRecord()
    field = {
        "SalesTransaction": "sales_transaction",
        "SalesReturn": "sales_return",
        "InventoryAdjustment": "inventory_adjustment",
    }[type(record).__name__]
    getattr(up, field).CopyFrom(record)
    return up


@pytest.fixture
async def outbox(tmp_path: Path):  # type: ignore[no-untyped-def]
    box = await Outbox.open(tmp_path)
    yield box
    await box.close()


async def test_a_record_is_on_disk_once_record_returns(outbox: Outbox, tmp_path: Path) -> None:
    assert (await outbox.record(_up(sale("T1")))).newly_recorded
    # Another connection (as after a crash) sees it, with its idempotency key.
    conn = sqlite3.connect(outbox_path(tmp_path))
    (data,) = conn.execute("SELECT record FROM outbox").fetchone()
    conn.close()
    stored = sync_pb2.UpstreamRecord.FromString(data)
    assert stored.idempotency_key == "sales/T1"
    assert stored.sales_transaction == sale("T1")
    assert read_outbox_pending(tmp_path) == 1


async def test_the_same_record_twice_is_recorded_once(outbox: Outbox) -> None:
    await outbox.record(_up(sale("T1")))
    again = await outbox.record(_up(sale("T1")))
    assert (again.record_id, again.newly_recorded) == ("T1", False)
    assert await outbox.outbox_pending() == 1


async def test_another_record_under_a_used_id_is_refused(outbox: Outbox) -> None:
    await outbox.record(_up(sale("T1")))
    other = sale("T1", register="till-2")
    with pytest.raises(OutboxConflict, match="'T1' was recorded before with different content"):
        await outbox.record(_up(other))
    assert await outbox.outbox_pending() == 1


async def test_batches_come_in_order_and_repeat_until_marked_sent(outbox: Outbox) -> None:
    for i in range(5):
        await outbox.record(_up(sale(f"T{i}")))
    await outbox.record(_up(adjustment("ADJ1")))
    first = await outbox.pending(limit=4)
    assert first is not None
    assert [r.sales_transaction.transaction_id for r in first.records] == ["T0", "T1", "T2", "T3"]
    again = await outbox.pending(limit=4)  # not acknowledged (e.g. the push failed): same batch
    assert again == first
    assert await outbox.mark_sent(first.batch_id) == 4
    assert await outbox.mark_sent(first.batch_id) == 0
    second = await outbox.pending(limit=4)
    assert second is not None and second.batch_id != first.batch_id
    assert [r.idempotency_key for r in second.records] == ["sales/T4", "inventory-adjustments/ADJ1"]
    await outbox.mark_sent(second.batch_id)
    assert await outbox.pending() is None
    assert await outbox.outbox_pending() == 0


async def test_marking_a_batch_sent_hands_out_the_next_in_the_same_step(outbox: Outbox) -> None:
    for i in range(5):
        await outbox.record(_up(sale(f"N{i}")))
    first = await outbox.pending(limit=3)
    assert first is not None
    marked, second = await outbox.mark_sent_and_next(first.batch_id, limit=3)
    assert marked == 3
    assert second is not None and second.batch_id != first.batch_id
    assert [r.idempotency_key for r in second.records] == ["sales/N3", "sales/N4"]
    assert await outbox.pending(limit=3) == second  # handed out: the same batch until sent
    assert await outbox.outbox_pending() == 2
    assert await outbox.mark_sent_and_next(second.batch_id, limit=3) == (2, None)
    assert await outbox.outbox_pending() == 0


async def test_a_batch_handed_out_survives_a_restart_with_its_id(tmp_path: Path) -> None:
    box = await Outbox.open(tmp_path)
    await box.record(_up(sale("T1")))
    batch = await box.pending()
    await box.close()
    box = await Outbox.open(tmp_path)
    try:
        assert await box.pending() == batch
    finally:
        await box.close()


async def test_register_day_totals_count_sales_and_returns_and_net_the_money(
    outbox: Outbox,
) -> None:
    await outbox.record(_up(sale("T1")))
    await outbox.record(_up(sale("T2")))
    await outbox.record(_up(sale("T3", register="till-2")))
    await outbox.record(_up(sales_return("R1")))
    await outbox.record(_up(adjustment("ADJ1")))
    sale_total = sale("T1").total.minor_units
    totals = {(t.register_id, t.business_day): t for t in await outbox.register_day_totals()}
    till1 = totals[("till-1", "2026-11-25")]
    assert (till1.transactions, till1.returns) == (2, 1)
    assert till1.net_minor_units == 2 * sale_total + sales_return("R1").total.minor_units
    assert till1.currency == "EUR"
    assert totals[("till-2", "2026-11-25")].net_minor_units == sale_total
    assert len(totals) == 2
