"""The durable outbox on a real SQLite file: once per id, batches in order, day totals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.errors import OutboxConflict
from edge_agent.outbox import Outbox, outbox_path, read_outbox_pending, read_outbox_refused
from edge_agent.outbox._records import REQUEST_OVERHEAD, encoded_size
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


async def test_a_batch_stays_within_its_byte_bound_and_a_record_too_large_is_refused(
    outbox: Outbox, tmp_path: Path
) -> None:
    records = [_up(sale(f"B{n}")) for n in range(10)]
    stored = _up(sale("B0"))
    stored.idempotency_key = "sales/B0"
    bound = REQUEST_OVERHEAD + 3 * encoded_size(stored.ByteSize())  # three records exactly
    huge = _up(sale("HUGE"))
    huge.sales_transaction.receipt.receipt_number = "x" * 5000
    for up in [*records[:3], huge, *records[3:]]:
        await outbox.record(up)
    batch = await outbox.pending(limit=500, max_bytes=bound)
    assert batch is not None
    # The bytes bound it, not the count; the record too large for any batch is refused.
    assert [r.sales_transaction.transaction_id for r in batch.records] == ["B0", "B1", "B2"]
    assert [r.record_id for r in batch.refused] == ["sales/HUGE"]
    assert "upsync_batch_max_bytes" in batch.refused[0].reason
    again = await outbox.pending(limit=500, max_bytes=bound)
    assert again is not None and again.batch_id == batch.batch_id and not again.refused
    _, second = await outbox.mark_sent_and_next(batch.batch_id, 500, bound)
    assert second is not None and not second.refused
    assert [r.sales_transaction.transaction_id for r in second.records] == ["B3", "B4", "B5"]
    assert await outbox.outbox_pending() == 7  # B3..B9 wait to be pushed; HUGE does not
    assert outbox.pending_now() == 7
    assert [r.record_id for r in outbox.refused_now()] == ["sales/HUGE"]
    assert [r.record_id for r in read_outbox_refused(tmp_path)] == ["sales/HUGE"]


async def test_a_split_batch_keeps_its_first_half_and_a_single_record_is_refused(
    outbox: Outbox,
) -> None:
    for n in range(5):
        await outbox.record(_up(sale(f"S{n}")))
    batch = await outbox.pending()
    assert batch is not None and len(batch.records) == 5
    assert await outbox.split(batch.batch_id, "RESOURCE_EXHAUSTED") is None
    half = await outbox.pending()
    assert half is not None and half.batch_id == batch.batch_id
    assert [r.sales_transaction.transaction_id for r in half.records] == ["S0", "S1"]
    await outbox.split(batch.batch_id, "RESOURCE_EXHAUSTED")
    one = await outbox.pending()
    assert one is not None and [r.sales_transaction.transaction_id for r in one.records] == ["S0"]
    refused = await outbox.split(batch.batch_id, "RESOURCE_EXHAUSTED: too big")
    assert refused is not None and refused.record_id == "sales/S0"
    assert "larger than the gateway accepts (RESOURCE_EXHAUSTED: too big)" in refused.reason
    rest = await outbox.pending()
    assert rest is not None and rest.batch_id != batch.batch_id
    assert [r.sales_transaction.transaction_id for r in rest.records] == ["S1", "S2", "S3", "S4"]
    assert await outbox.outbox_pending() == 4


async def test_an_outbox_of_schema_1_is_migrated_and_keeps_its_records(tmp_path: Path) -> None:
    path = outbox_path(tmp_path)
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE outbox (position INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT "
        "NULL UNIQUE, stream TEXT NOT NULL, register_id TEXT, business_day TEXT, currency TEXT, "
        "net_minor_units INTEGER, record BLOB NOT NULL, recorded_at TEXT NOT NULL, batch_id "
        "TEXT, sent_at TEXT); PRAGMA user_version=1;"
    )
    up = _up(sale("OLD"))
    up.idempotency_key = "sales/OLD"
    conn.execute(
        "INSERT INTO outbox (record_id, stream, record, recorded_at, batch_id) "
        "VALUES ('sales/OLD', 'sales', ?, 'now', 'b-old')",
        (up.SerializeToString(),),
    )
    conn.commit()
    conn.close()
    # `commerce-edge status` before the upgraded agent started: read as it is.
    assert read_outbox_pending(tmp_path) == 1
    assert read_outbox_refused(tmp_path) == []
    box = await Outbox.open(tmp_path)
    try:
        batch = await box.pending()
        assert batch is not None and batch.batch_id == "b-old"
        assert [r.idempotency_key for r in batch.records] == ["sales/OLD"]
    finally:
        await box.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()


async def test_the_batch_after_one_in_flight_comes_next_and_both_keep_their_ids(
    tmp_path: Path,
) -> None:
    box = await Outbox.open(tmp_path)
    try:
        for n in range(7):
            await box.record(_up(sale(f"P{n}")))
        first = await box.pending(limit=3)
        assert first is not None
        second = await box.pending(limit=3, after=first.last_position)
        assert second is not None and second.batch_id != first.batch_id
        assert [r.sales_transaction.transaction_id for r in second.records] == ["P3", "P4", "P5"]
    finally:
        await box.close()
    # A restart with both handed out and neither acknowledged: the same two batches, in order.
    box = await Outbox.open(tmp_path)
    try:
        again = await box.pending(limit=3)
        assert again is not None and again.batch_id == first.batch_id
        after = await box.pending(limit=3, after=again.last_position)
        assert after is not None and after.batch_id == second.batch_id
        # The second acknowledged first: the first is still next; then the rest.
        await box.mark_sent(second.batch_id)
        head = await box.pending(limit=3)
        assert head is not None and head.batch_id == first.batch_id
        _, rest = await box.mark_sent_and_next(first.batch_id, 3)
        assert rest is not None
        assert [r.sales_transaction.transaction_id for r in rest.records] == ["P6"]
    finally:
        await box.close()
