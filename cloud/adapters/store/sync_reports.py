"""Sync reports: what each site's agent last said about its replication (applied seq per
down stream, outbox depth) and when it last pushed records the cloud acknowledged.

Adapter room: reads and writes `site_stream_checkpoints` and `site_sync_reports`. Writes are
upserts (update, insert when missing); a lost insert race re-runs once and updates.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from cloud.adapters.store._db import Database, aware
from cloud.adapters.store.records import AppliedReport, SyncReport
from cloud.store.tables import site_stream_checkpoints, site_sync_reports
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)


def _check(site_id: str, outbox_pending: int | None) -> None:
    if not site_id:
        raise InvalidInput("name the site whose sync report is recorded")
    if outbox_pending is not None and outbox_pending < 0:
        raise InvalidInput(f"outbox depth {outbox_pending} is negative; report 0 or more")


def _upsert_site(conn: sa.Connection, site_id: str, values: dict[str, object]) -> None:
    done = conn.execute(
        site_sync_reports.update().where(site_sync_reports.c.site_id == site_id).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(site_sync_reports.insert().values(site_id=site_id, **values))


class SyncReportRepository:
    """Record and read the sync reports of sites."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record_pull(
        self,
        site_id: str,
        applied: Mapping[str, int],
        outbox_pending: int | None,
        at: datetime,
    ) -> None:
        """Store the applied seq per stream (and the outbox depth, when reported) of a pull."""
        _check(site_id, outbox_pending)
        for stream, seq in applied.items():
            if seq < 0:
                raise InvalidInput(f"applied seq {seq} of stream {stream!r} is negative")
        when = aware(at, "at")

        def work(conn: sa.Connection) -> None:
            for stream, seq in sorted(applied.items()):
                done = conn.execute(
                    site_stream_checkpoints.update()
                    .where(
                        site_stream_checkpoints.c.site_id == site_id,
                        site_stream_checkpoints.c.stream == stream,
                    )
                    .values(applied_seq=seq, reported_at=when)
                )
                if done.rowcount == 0:
                    conn.execute(
                        site_stream_checkpoints.insert().values(
                            site_id=site_id, stream=stream, applied_seq=seq, reported_at=when
                        )
                    )
            if outbox_pending is not None:
                _upsert_site(
                    conn, site_id, {"outbox_pending": outbox_pending, "outbox_reported_at": when}
                )

        self._db.write(work)

    def record_push(self, site_id: str, outbox_pending: int | None, at: datetime) -> None:
        """Store the time of an acknowledged push (and the outbox depth it reported)."""
        _check(site_id, outbox_pending)
        when = aware(at, "at")
        values: dict[str, object] = {"last_push_at": when}
        if outbox_pending is not None:
            values.update(outbox_pending=outbox_pending, outbox_reported_at=when)
        self._db.write(lambda conn: _upsert_site(conn, site_id, values))

    def get(self, site_id: str) -> SyncReport:
        """The site's report; fields nobody reported yet are empty / None."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(site_stream_checkpoints).where(
                    site_stream_checkpoints.c.site_id == site_id
                )
            ).all()
            site = conn.execute(
                sa.select(site_sync_reports).where(site_sync_reports.c.site_id == site_id)
            ).first()
        applied = {row.stream: AppliedReport(int(row.applied_seq), row.reported_at) for row in rows}
        if site is None:
            return SyncReport(site_id, applied, None, None, None)
        return SyncReport(
            site_id,
            applied,
            None if site.outbox_pending is None else int(site.outbox_pending),
            site.outbox_reported_at,
            site.last_push_at,
        )
