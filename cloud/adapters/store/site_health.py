"""The health each site's agent last reported: lag, checksum results, error counts.

Adapter room: reads and writes `site_health_reports`. A write is an upsert (update, insert
when missing); the newest report replaces the one before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa

from cloud.adapters.store._db import Database, aware
from cloud.site_health import SiteHealthReport
from cloud.store.health_tables import site_health_reports
from shared.errors import InvalidInput

__all__ = ["SiteHealthRepository"]


def _report(row: sa.Row[object]) -> SiteHealthReport:
    m = row._mapping
    mismatches = str(m["checksum_mismatches"])
    return SiteHealthReport(
        replication_lag=int(m["replication_lag"]),
        checksum_mismatches=tuple(mismatches.split(",")) if mismatches else (),
        checksums_verified_at=m["checksums_verified_at"],
        error_counts={str(k): int(v) for k, v in json.loads(m["error_counts"]).items()},
        last_error=str(m["last_error"]),
        reported_at=m["reported_at"],
    )


class SiteHealthRepository:
    """Record and read the health reports of sites."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, site_id: str, report: SiteHealthReport) -> None:
        if not site_id:
            raise InvalidInput("name the site whose health report is recorded")
        if report.reported_at is None:
            raise InvalidInput(f"the health report of site {site_id} has no reported_at")
        values = {
            "replication_lag": report.replication_lag,
            "checksum_mismatches": ",".join(report.checksum_mismatches),
            "checksums_verified_at": report.checksums_verified_at,
            "error_counts": json.dumps(report.error_counts, sort_keys=True),
            "last_error": report.last_error,
            "reported_at": aware(report.reported_at, "reported_at"),
        }

        def work(conn: sa.Connection) -> None:
            done = conn.execute(
                site_health_reports.update()
                .where(site_health_reports.c.site_id == site_id)
                .values(**values)
            )
            if done.rowcount == 0:
                conn.execute(site_health_reports.insert().values(site_id=site_id, **values))

        self._db.write(work)

    def get(self, site_id: str) -> SiteHealthReport | None:
        """The site's last report (None: its agent never reported health)."""
        return self.get_many([site_id]).get(site_id)

    def get_many(self, site_ids: Iterable[str]) -> dict[str, SiteHealthReport]:
        """The last report of each named site that has one."""
        wanted = sorted(set(site_ids))
        found: dict[str, SiteHealthReport] = {}
        with self._db.read() as conn:
            for start in range(0, len(wanted), 500):
                rows = conn.execute(
                    sa.select(site_health_reports).where(
                        site_health_reports.c.site_id.in_(wanted[start : start + 500])
                    )
                ).all()
                found.update({str(row.site_id): _report(row) for row in rows})
        return found
