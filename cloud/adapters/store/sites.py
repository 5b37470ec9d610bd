"""Store sites of the cloud store: creation, status and conditions, last contact, revocation.

Adapter room: reads and writes `sites`; `revoke` also revokes the site's certificates and
unused tokens and writes the audit row and the revocation fact, all in one transaction.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cloud.adapters.store._db import Database, aware, jsonable, utcnow
from cloud.adapters.store.audit import insert_audit
from cloud.adapters.store.errors import SiteConflict, SiteRevoked, UnknownChannel, UnknownSite
from cloud.adapters.store.facts import insert_fact
from cloud.adapters.store.records import NewFact, SiteRecord
from cloud.store.tables import SITE_STATUSES, bootstrap_tokens, certificates, sales_channels, sites
from shared.errors import InvalidInput
from shared.identity import validate_site_id

logger = logging.getLogger(__name__)

_TOUCH_BATCH = 500


def _record(row: sa.Row[Any]) -> SiteRecord:
    values = dict(row._mapping)
    values["conditions"] = tuple(values["conditions"])
    return SiteRecord(**values)


def select_site(
    conn: sa.Connection, site_id: str, *, for_update: bool = False
) -> SiteRecord | None:
    """The site row inside the caller's transaction; `for_update` locks it (PostgreSQL)."""
    query = sa.select(sites).where(sites.c.site_id == site_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else _record(row)


def _check_status(status: str) -> None:
    if status not in SITE_STATUSES:
        raise InvalidInput(f"unknown site status {status!r}; use one of {', '.join(SITE_STATUSES)}")


class SiteRepository:
    """Create, read and update store sites."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create_or_get(
        self,
        site_id: str,
        sales_channel_id: str,
        name: str,
        timezone: str,
        agent_version: str,
        at: datetime | None = None,
    ) -> SiteRecord:
        """Create the site in status 'provisioning', or return it when it exists with the
        same values. Raises `SiteConflict` (naming the fields) or `UnknownChannel`."""
        validate_site_id(site_id)
        wanted = {
            "sales_channel_id": sales_channel_id,
            "name": name,
            "timezone": timezone,
            "agent_version": agent_version,
        }

        def work(conn: sa.Connection) -> SiteRecord:
            existing = select_site(conn, site_id)
            if existing is not None:
                differing = [k for k, v in wanted.items() if getattr(existing, k) != v]
                if differing:
                    shown = ", ".join(
                        f"{k} ({getattr(existing, k)!r} != {wanted[k]!r})" for k in differing
                    )
                    raise SiteConflict(
                        f"site {site_id} already exists with different {shown}; re-run with "
                        "the original values or choose a new site id",
                        differing,
                    )
                return existing
            channel = conn.execute(
                sa.select(sales_channels.c.channel_id).where(
                    sales_channels.c.channel_id == sales_channel_id
                )
            ).first()
            if channel is None:
                raise UnknownChannel(
                    f"sales channel {sales_channel_id!r} does not exist; create it first with "
                    "`commerce-cloud channels create` or pick one from "
                    "`commerce-cloud channels list`"
                )
            now = at or utcnow()
            conn.execute(
                sites.insert().values(
                    site_id=site_id,
                    **wanted,
                    status="provisioning",
                    generation=1,
                    conditions=[],
                    created_at=now,
                    updated_at=now,
                )
            )
            logger.info("created site %s in channel %s", site_id, sales_channel_id)
            created = select_site(conn, site_id)
            assert created is not None
            return created

        return self._db.write(work)

    def get(self, site_id: str) -> SiteRecord | None:
        with self._db.read() as conn:
            return select_site(conn, site_id)

    def list(
        self, status: str | None = None, *, after: str = "", limit: int | None = None
    ) -> builtins.list[SiteRecord]:
        """Sites by id, only those in `status` when given; a page after `after` when limited."""
        query = sa.select(sites).order_by(sites.c.site_id)
        if status is not None:
            _check_status(status)
            query = query.where(sites.c.status == status)
        if after:
            query = query.where(sites.c.site_id > after)
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def _update_live(self, site_id: str, values: dict[str, Any]) -> None:
        """Update a site that is not revoked; `UnknownSite` / `SiteRevoked` otherwise."""

        def work(conn: sa.Connection) -> None:
            done = conn.execute(
                sites.update()
                .where(sites.c.site_id == site_id, sites.c.status != "revoked")
                .values(**values)
            )
            if done.rowcount == 0:
                if select_site(conn, site_id) is None:
                    raise UnknownSite(site_id)
                raise SiteRevoked(site_id)

        self._db.write(work)

    def set_conditions(
        self,
        site_id: str,
        status: str,
        conditions: Sequence[Any],
        at: datetime | None = None,
    ) -> None:
        """Replace the site's status and conditions (a revoked site stays revoked)."""
        _check_status(status)
        if status == "revoked":
            raise InvalidInput("use `revoke` to revoke a site; it also revokes its certificates")
        self._update_live(
            site_id,
            {
                "status": status,
                "conditions": jsonable(list(conditions)),
                "updated_at": at or utcnow(),
            },
        )

    def mark_ready(
        self,
        site_id: str,
        certificate_serial: str,
        config_generation: int,
        conditions: Sequence[Any],
        at: datetime | None = None,
    ) -> None:
        """Record that the site is enrolled and runs config `config_generation`."""
        self._update_live(
            site_id,
            {
                "status": "ready",
                "certificate_serial": certificate_serial,
                # A generation taken since (a policy change) is never lowered.
                "config_generation": sa.case(
                    (sites.c.config_generation > config_generation, sites.c.config_generation),
                    else_=config_generation,
                ),
                "conditions": jsonable(list(conditions)),
                "updated_at": at or utcnow(),
            },
        )

    def next_config_generation(self, site_id: str) -> int:
        """Take the site's next configuration generation (1 for the first); `UnknownSite` /
        `SiteRevoked` otherwise."""

        def work(conn: sa.Connection) -> int:
            done = conn.execute(
                sites.update()
                .where(sites.c.site_id == site_id, sites.c.status != "revoked")
                .values(config_generation=sa.func.coalesce(sites.c.config_generation, 0) + 1)
            )
            if done.rowcount == 0:
                if select_site(conn, site_id) is None:
                    raise UnknownSite(site_id)
                raise SiteRevoked(site_id)
            generation = conn.execute(
                sa.select(sites.c.config_generation).where(sites.c.site_id == site_id)
            ).scalar_one()
            return int(generation)

        return self._db.write(work)

    def revoke(
        self,
        site_id: str,
        reason: str,
        actor: str,
        *,
        fact: NewFact | None = None,
        at: datetime | None = None,
    ) -> SiteRecord:
        """Revoke the site, all its certificates and its unused tokens, with an audit row
        and, when given, the revocation `fact`: all of it in one transaction, or none of it.

        Revoking a revoked site returns it unchanged (and appends no fact). Raises
        `UnknownSite`.
        """
        at = aware(at, "at") if at is not None else utcnow()
        if fact is not None:
            aware(fact.occurred_at, "fact occurred_at")

        def work(conn: sa.Connection) -> SiteRecord:
            site = select_site(conn, site_id, for_update=True)
            if site is None:
                raise UnknownSite(site_id)
            if site.revoked:
                return site
            conn.execute(
                sites.update()
                .where(sites.c.site_id == site_id)
                .values(
                    status="revoked",
                    revoked_at=at,
                    revoked_reason=reason,
                    generation=sites.c.generation + 1,
                    updated_at=at,
                )
            )
            serials = (
                conn.execute(
                    certificates.update()
                    .where(certificates.c.site_id == site_id, certificates.c.revoked_at.is_(None))
                    .values(revoked_at=at)
                    .returning(certificates.c.serial)
                )
                .scalars()
                .all()
            )
            tokens = conn.execute(
                bootstrap_tokens.update()
                .where(
                    bootstrap_tokens.c.site_id == site_id,
                    bootstrap_tokens.c.used_at.is_(None),
                    bootstrap_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=at)
            ).rowcount
            insert_audit(
                conn,
                actor=actor,
                action="site.revoked",
                subject=site_id,
                detail={"reason": reason, "certificates": sorted(serials), "tokens": tokens},
                at=at,
            )
            if fact is not None:
                insert_fact(conn, fact)
            revoked = select_site(conn, site_id)
            assert revoked is not None
            return revoked

        record = self._db.write(work)
        logger.info("site %s revoked by %s: %s", site_id, actor, reason)
        return record

    def touch_last_seen(self, site_ids: Sequence[str], at: datetime) -> None:
        """Record contact with many sites at once (never moves `last_seen_at` backwards)."""
        when = aware(at, "at")
        ids = sorted(set(site_ids))
        if not ids:
            return

        def work(conn: sa.Connection) -> None:
            for start in range(0, len(ids), _TOUCH_BATCH):
                conn.execute(
                    sites.update()
                    .where(
                        sites.c.site_id.in_(ids[start : start + _TOUCH_BATCH]),
                        sa.or_(sites.c.last_seen_at.is_(None), sites.c.last_seen_at < when),
                    )
                    .values(last_seen_at=when)
                )

        self._db.write(work)
