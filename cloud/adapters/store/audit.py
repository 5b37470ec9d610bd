"""Audit log of the cloud store: who did what to which object, append-only.

Adapter room: reads and appends rows of the `audit_log` table.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cloud.adapters.store._db import (
    APPEND_LOCK_AUDIT,
    Database,
    aware,
    jsonable,
    lock_appends,
    utcnow,
)
from cloud.adapters.store.records import AuditRecord
from cloud.store.tables import audit_log

logger = logging.getLogger(__name__)


def insert_audit(
    conn: sa.Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, Any],
    at: datetime,
) -> None:
    """Append an audit row inside the caller's transaction (make it the last statement)."""
    lock_appends(conn, APPEND_LOCK_AUDIT)
    conn.execute(
        audit_log.insert().values(
            at=at, actor=actor, action=action, subject=subject, detail=jsonable(dict(detail))
        )
    )


class AuditLog:
    """Append and read audit rows."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        actor: str,
        action: str,
        subject: str,
        detail: Mapping[str, Any],
        at: datetime | None = None,
    ) -> None:
        """Append one audit row (`at` defaults to now)."""
        when = aware(at, "at") if at is not None else utcnow()
        self._db.write(
            lambda conn: insert_audit(
                conn, actor=actor, action=action, subject=subject, detail=detail, at=when
            )
        )

    def list(self, subject: str | None = None, limit: int = 100) -> builtins.list[AuditRecord]:
        """The newest `limit` rows (about `subject` when given), newest first."""
        query = sa.select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
        if subject is not None:
            query = query.where(audit_log.c.subject == subject)
        with self._db.read() as conn:
            return [AuditRecord(**row._mapping) for row in conn.execute(query)]
