"""What each site runs and when it trades: the release state its agent reports and its
trading calendar.

Adapter room: reads and writes `site_releases` and `site_calendars` (and, for a calendar
change, the site's timezone in `sites`). Writes are upserts (update, insert when missing).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2
from cloud.adapters.store._db import Database, aware
from cloud.adapters.store.records import SiteCalendar, SiteRelease
from cloud.store.site_tables import site_calendars, site_releases
from cloud.store.tables import sites
from shared.errors import InvalidInput, NotFound

__all__ = ["SiteCalendarRepository", "SiteReleaseRepository"]

_OUTCOMES = {
    edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED: "installed",
    edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK: "rolled_back",
    edge_pb2.BUNDLE_INSTALL_OUTCOME_ALREADY_CURRENT: "already_current",
}


def _upsert(conn: sa.Connection, table: sa.Table, site_id: str, values: dict[str, object]) -> None:
    done = conn.execute(table.update().where(table.c.site_id == site_id).values(**values))
    if done.rowcount == 0:
        conn.execute(table.insert().values(site_id=site_id, **values))


class SiteReleaseRepository:
    """Record and read the release state of sites."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, site_id: str, installed: edge_pb2.InstalledBundles, at: datetime) -> None:
        """Store what the site's agent says it runs (an empty current bundle is refused)."""
        if not site_id:
            raise InvalidInput("name the site whose release state is recorded")
        if not installed.current_bundle:
            raise InvalidInput(
                f"site {site_id} reported no current bundle; a release state names the bundle "
                "the agent runs ('base' for the packaged build)"
            )
        last = installed.last_install
        values: dict[str, object] = {
            "current_bundle": installed.current_bundle[:64],
            "last_known_good": installed.last_known_good[:64],
            "last_install_bundle": last.bundle_id[:64],
            "last_install_outcome": _OUTCOMES.get(last.outcome, ""),
            "last_install_failed_step": last.failed_step[:64],
            "last_install_message": last.message,
            "reported_at": aware(at, "at"),
        }
        self._db.write(lambda conn: _upsert(conn, site_releases, site_id, values))

    def get(self, site_id: str) -> SiteRelease | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(site_releases).where(site_releases.c.site_id == site_id)
            ).first()
        return None if row is None else _release(row)

    def all(self) -> dict[str, SiteRelease]:
        """Every reported release state, by site id."""
        with self._db.read() as conn:
            rows = conn.execute(sa.select(site_releases)).all()
        return {row.site_id: _release(row) for row in rows}


def _release(row: sa.Row[object]) -> SiteRelease:
    m = row._mapping
    return SiteRelease(
        site_id=m["site_id"],
        current_bundle=m["current_bundle"],
        last_known_good=m["last_known_good"],
        last_install_bundle=m["last_install_bundle"],
        last_install_outcome=m["last_install_outcome"],
        last_install_failed_step=m["last_install_failed_step"],
        last_install_message=m["last_install_message"],
        reported_at=m["reported_at"],
    )


class SiteCalendarRepository:
    """Record and read the trading calendars of sites."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, site_id: str) -> SiteCalendar | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(site_calendars).where(site_calendars.c.site_id == site_id)
            ).first()
        if row is None:
            return None
        m = row._mapping
        return SiteCalendar(
            site_id=m["site_id"],
            calendar=store_site_pb2.TradingCalendar.FromString(m["calendar"]),
            config_generation=int(m["config_generation"]),
            updated_at=m["updated_at"],
            updated_by=m["updated_by"],
        )

    def set(
        self,
        site_id: str,
        calendar: store_site_pb2.TradingCalendar,
        timezone: str,
        config_generation: int,
        actor: str,
        at: datetime,
    ) -> None:
        """Store the site's calendar and time zone under `config_generation`, together.

        A generation not above the stored one is refused (another change came first).
        """
        when = aware(at, "at")

        def work(conn: sa.Connection) -> None:
            stored = conn.execute(
                sa.select(site_calendars.c.config_generation).where(
                    site_calendars.c.site_id == site_id
                )
            ).scalar()
            if stored is not None and int(stored) >= config_generation:
                raise InvalidInput(
                    f"site {site_id} already has configuration generation {stored}; another "
                    "change came first. Run the command again"
                )
            done = conn.execute(
                sites.update().where(sites.c.site_id == site_id).values(timezone=timezone)
            )
            if done.rowcount == 0:
                raise NotFound(f"site {site_id} does not exist; see `commerce-cloud sites list`")
            _upsert(
                conn,
                site_calendars,
                site_id,
                {
                    "calendar": calendar.SerializeToString(deterministic=True),
                    "config_generation": config_generation,
                    "updated_at": when,
                    "updated_by": actor[:200],
                },
            )

        self._db.write(work)

    def config_applied(self, site_id: str, generation: int) -> None:
        """The site's agent applied configuration `generation` (a lower one changes nothing)."""
        self._db.write(
            lambda conn: conn.execute(
                sites.update()
                .where(
                    sites.c.site_id == site_id,
                    sa.or_(
                        sites.c.config_generation.is_(None),
                        sites.c.config_generation < generation,
                    ),
                )
                .values(config_generation=generation)
            )
        )
