"""Group commit on the writer thread (real SQLite files): grouped jobs queued together share
one commit, each stays atomic on its own, and none is reported done before it is on disk."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.errors import OutboxConflict
from edge_agent.outbox import Outbox, read_outbox_pending
from edge_agent.projection._writer import WriterThread
from tests.edge_agent.pos_records import sale


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY)")
    return conn


def _committed(path: Path) -> int:
    """Rows another connection sees: only what was committed."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    finally:
        conn.close()


async def test_grouped_jobs_queued_together_share_one_commit_and_a_failing_one_is_undone_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.db"
    writer = WriterThread(path, 5.0, connect=_connect)
    await writer.start()
    try:
        release = threading.Event()
        # An ungrouped job holds the writer while the grouped ones queue up behind it.
        blocker = asyncio.create_task(writer.run(lambda _conn: release.wait(10)))
        await asyncio.sleep(0)

        def insert(n: int) -> int:
            def job(conn: sqlite3.Connection) -> int:
                conn.execute("INSERT INTO t VALUES (?)", (n,))
                if n == 5:
                    raise ValueError("job 5 refuses after writing")
                return _committed(path)

            return job  # type: ignore[return-value]

        grouped = [asyncio.create_task(writer.run(insert(n), group=True)) for n in range(10)]
        await asyncio.sleep(0)  # every task has queued its job
        release.set()
        assert await blocker is True
        outcomes = await asyncio.gather(*grouped, return_exceptions=True)
    finally:
        await writer.stop()

    failed = outcomes[5]
    assert isinstance(failed, ValueError) and "job 5" in str(failed)
    # Each job ran before any of the group was committed: one transaction, one commit.
    assert [o for n, o in enumerate(outcomes) if n != 5] == [0] * 9
    conn = sqlite3.connect(path)
    rows = [n for (n,) in conn.execute("SELECT n FROM t ORDER BY n")]
    conn.close()
    assert rows == [0, 1, 2, 3, 4, 6, 7, 8, 9]


async def test_concurrent_pos_records_are_all_on_disk_and_a_conflicting_one_fails_alone(
    tmp_path: Path,
) -> None:
    outbox = await Outbox.open(tmp_path)
    try:
        first = sync_pb2.UpstreamRecord(sales_transaction=sale("T-0"))
        assert (await outbox.record(first)).newly_recorded
        clash = sale("T-0")
        clash.total.minor_units += 1
        clash.tenders[0].amount.minor_units += 1
        records = [sync_pb2.UpstreamRecord(sales_transaction=sale(f"T-{n}")) for n in range(1, 200)]
        records.insert(100, sync_pb2.UpstreamRecord(sales_transaction=clash))
        outcomes = await asyncio.gather(
            *(outbox.record(r) for r in records), return_exceptions=True
        )
    finally:
        await outbox.close()

    conflict = outcomes.pop(100)
    assert isinstance(conflict, OutboxConflict) and "T-0" in str(conflict)
    assert all(not isinstance(o, BaseException) and o.newly_recorded for o in outcomes)
    # On disk, as a fresh reader (after a restart) sees it: T-0 once, as first recorded.
    assert read_outbox_pending(tmp_path) == 200
    reopened = await Outbox.open(tmp_path)
    try:
        batch = await reopened.pending(limit=500)
    finally:
        await reopened.close()
    assert batch is not None
    by_id = {r.sales_transaction.transaction_id: r for r in batch.records}
    assert len(by_id) == 200
    assert by_id["T-0"].sales_transaction.total == first.sales_transaction.total
