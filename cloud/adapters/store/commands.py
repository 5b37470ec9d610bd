"""Durable per-site command queue: what the cloud asks a store to do, and the answers.

Adapter room: reads and writes `commands`. A command carries the Temporal task token of
the activity waiting for it; the queue never talks to Temporal itself.
"""

from __future__ import annotations

import builtins
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.adapters.store._db import APPEND_LOCK_COMMANDS, Database, aware, lock_appends, utcnow
from cloud.adapters.store.errors import CommandConflict, SiteRevoked, UnknownSite
from cloud.adapters.store.records import CommandRecord
from cloud.adapters.store.sites import select_site
from cloud.store.tables import commands

logger = logging.getLogger(__name__)

_OPEN = ("pending", "delivered")


def _record(row: sa.Row[Any]) -> CommandRecord:
    return CommandRecord(**row._mapping)


def _select(conn: sa.Connection, command_id: str) -> CommandRecord | None:
    row = conn.execute(sa.select(commands).where(commands.c.command_id == command_id)).first()
    return None if row is None else _record(row)


class CommandQueue:
    """Enqueue, deliver and complete commands for store sites."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def enqueue(
        self,
        command_id: str,
        site_id: str,
        kind: str,
        payload: bytes,
        task_token: bytes,
        at: datetime | None = None,
    ) -> CommandRecord:
        """Queue a command, idempotently by `command_id`.

        New: stored as 'pending'. Still open ('pending'/'delivered'): another attempt of the
        activity waits now, so the command goes back to the tail of the queue as 'pending'
        with this attempt's task token (payload, creation time and id kept; a new `seq`, so
        every gateway's pump delivers it again). Finished: returned unchanged, so the caller
        can complete its activity at once with the stored result.
        """
        now = aware(at, "at") if at is not None else utcnow()

        def work(conn: sa.Connection) -> CommandRecord:
            existing = _select(conn, command_id)
            if existing is not None:
                if (existing.site_id, existing.kind) != (site_id, kind):
                    raise CommandConflict(
                        f"command id {command_id} is already queued as {existing.kind!r} for "
                        f"site {existing.site_id}, not {kind!r} for {site_id}; derive command "
                        "ids from the workflow id and step"
                    )
                if existing.finished:
                    return existing
                # Re-queued at the tail: the pumps read by `seq`, so a new one redelivers it.
                lock_appends(conn, APPEND_LOCK_COMMANDS)
                conn.execute(commands.delete().where(commands.c.command_id == command_id))
                conn.execute(
                    commands.insert().values(
                        command_id=command_id,
                        site_id=existing.site_id,
                        kind=existing.kind,
                        payload=existing.payload,
                        task_token=task_token,
                        status="pending",
                        error=existing.error,
                        created_at=existing.created_at,
                    )
                )
                logger.info("queued command %s for site %s again", command_id, site_id)
            else:
                site = select_site(conn, site_id)
                if site is None:
                    raise UnknownSite(site_id)
                if site.revoked:
                    raise SiteRevoked(site_id)
                lock_appends(conn, APPEND_LOCK_COMMANDS)
                conn.execute(
                    commands.insert().values(
                        command_id=command_id,
                        site_id=site_id,
                        kind=kind,
                        payload=payload,
                        task_token=task_token,
                        status="pending",
                        created_at=now,
                    )
                )
                logger.info("queued command %s (%s) for site %s", command_id, kind, site_id)
            stored = _select(conn, command_id)
            assert stored is not None
            return stored

        return self._db.write(work)

    def get(self, command_id: str) -> CommandRecord | None:
        with self._db.read() as conn:
            return _select(conn, command_id)

    def pending_for_site(self, site_id: str) -> builtins.list[CommandRecord]:
        """The site's open commands ('pending' or 'delivered'), oldest first."""
        query = (
            sa.select(commands)
            .where(commands.c.site_id == site_id, commands.c.status.in_(_OPEN))
            .order_by(commands.c.seq)
        )
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def directs_install(self, site_id: str, bundle_id: str) -> bool:
        """Whether an open `install_bundle` command tells `site_id` to install `bundle_id`."""
        query = sa.select(commands.c.payload).where(
            commands.c.site_id == site_id,
            commands.c.kind == "install_bundle",
            commands.c.status.in_(_OPEN),
        )
        with self._db.read() as conn:
            payloads = [row.payload for row in conn.execute(query)]
        return any(
            edge_pb2.Command.FromString(payload).install_bundle.bundle_id == bundle_id
            for payload in payloads
        )

    def pending_after(self, seq: int, limit: int = 1000) -> builtins.list[CommandRecord]:
        """Open commands of every site with `seq` above the given one, in `seq` order."""
        query = (
            sa.select(commands)
            .where(commands.c.seq > seq, commands.c.status.in_(_OPEN))
            .order_by(commands.c.seq)
            .limit(limit)
        )
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def mark_delivered(self, command_id: str, at: datetime) -> None:
        """Note that a command went out on a site's stream (again, after a reconnect)."""
        when = aware(at, "at")
        self._db.write(
            lambda conn: conn.execute(
                commands.update()
                .where(commands.c.command_id == command_id, commands.c.status.in_(_OPEN))
                .values(status="delivered", delivered_at=when)
            )
        )

    def complete(
        self,
        command_id: str,
        site_id: str,
        ok: bool,
        result: bytes,
        error: str,
        at: datetime,
        *,
        final: bool = True,
    ) -> CommandRecord | None:
        """Record the site's answer; the first final answer wins and later ones change nothing.

        `final=False` is a failure that trying again may cure: the command stays open (its
        `error` says why it failed last) until another attempt queues it again.

        Returns None when the command does not exist or belongs to another site (the caller
        treats that as a hostile or confused agent).
        """
        when = aware(at, "at")
        if final:
            values: dict[str, object] = {
                "status": "completed" if ok else "failed",
                "result": result,
                "error": None if ok else error,
                "completed_at": when,
            }
        else:
            values = {"error": error}

        def work(conn: sa.Connection) -> CommandRecord | None:
            conn.execute(
                commands.update()
                .where(
                    commands.c.command_id == command_id,
                    commands.c.site_id == site_id,
                    commands.c.status.in_(_OPEN),
                )
                .values(**values)
            )
            stored = _select(conn, command_id)
            if stored is None or stored.site_id != site_id:
                return None
            return stored

        record = self._db.write(work)
        if record is None:
            logger.warning("site %s answered unknown or foreign command %s", site_id, command_id)
        return record
