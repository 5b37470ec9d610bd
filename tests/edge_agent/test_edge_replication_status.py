"""The store's replication status carries the same checksums the cloud computes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.outbox import Outbox
from edge_agent.projection import Projection
from edge_agent.replication.status import replication_status
from shared.checksums import TableDigest
from tests.edge_agent.pos_records import sale
from tests.edge_agent.replication_pages import changes, item, page, price


async def test_status_reports_checkpoints_checksums_outbox_and_register_days(
    tmp_path: Path,
) -> None:
    projection = await Projection.open(tmp_path)
    outbox = await Outbox.open(tmp_path)
    try:
        a, b = item("A", "1"), item("B")
        await projection.apply_page(page("catalog", 0, changes([a, b], 1)))
        await projection.apply_page(page("prices", 0, changes([price("p1", "A", 100)], 7)))
        await outbox.record(sync_pb2.UpstreamRecord(sales_transaction=sale("T1")))
        now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        status = replication_status(
            projection.streams(),
            outbox.pending_now(),
            await outbox.register_day_totals(),
            now,
        )
    finally:
        await outbox.close()
        await projection.close()
    assert [(c.stream, c.applied_seq) for c in status.checkpoints] == [
        ("catalog", 2),
        ("prices", 7),
    ]
    cloud_side = TableDigest.of(
        (i.sku, i.SerializeToString(deterministic=True)) for i in (b, a)
    )  # any order
    catalog = status.checksums[0]
    assert (catalog.table, catalog.rows, catalog.digest) == ("catalog", 2, cloud_side.hex)
    assert status.outbox_pending == 1
    assert [(d.register_id, d.transactions) for d in status.register_days] == [("till-1", 1)]
    assert status.reported_at.ToDatetime(tzinfo=UTC) == now


def test_the_projection_has_tables_for_every_stream_the_agent_accepts_down() -> None:
    from edge_agent.projection._tables import STREAM_TABLES
    from edge_agent.replication import DOWNSYNC_STREAMS

    assert set(STREAM_TABLES) == DOWNSYNC_STREAMS
