"""Process-fact log: workflow milestones, written once each under a deterministic fact id.

Adapter room: appends to and reads `process_facts`.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from cloud.adapters.store._db import APPEND_LOCK_FACTS, Database, aware, lock_appends
from cloud.adapters.store.records import FactRecord, NewFact
from cloud.store.tables import process_facts

logger = logging.getLogger(__name__)


def insert_fact(conn: sa.Connection, fact: NewFact) -> bool:
    """Append `fact` inside the caller's transaction (make it the last statement); False
    (and no new row) when its fact id is already in the log."""
    occurred = aware(fact.occurred_at, "occurred_at")
    seen = conn.execute(
        sa.select(process_facts.c.seq).where(process_facts.c.fact_id == fact.fact_id)
    ).first()
    if seen is not None:
        return False
    lock_appends(conn, APPEND_LOCK_FACTS)
    conn.execute(
        process_facts.insert().values(
            fact_id=fact.fact_id,
            fact_type=fact.fact_type,
            subject=fact.subject,
            occurred_at=occurred,
            workflow_id=fact.workflow_id,
            run_id=fact.run_id,
            payload=fact.payload,
        )
    )
    return True


class FactLog:
    """Append facts idempotently and read them in order."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def append(
        self,
        fact_id: str,
        fact_type: str,
        subject: str,
        occurred_at: datetime,
        workflow_id: str,
        run_id: str,
        payload: bytes,
    ) -> bool:
        """Append a fact; False (and no new row) when `fact_id` is already in the log."""
        fact = NewFact(
            fact_id=fact_id,
            fact_type=fact_type,
            subject=subject,
            occurred_at=aware(occurred_at, "occurred_at"),
            workflow_id=workflow_id,
            run_id=run_id,
            payload=payload,
        )
        appended = self._db.write(lambda conn: insert_fact(conn, fact))
        if appended:
            logger.info("fact %s (%s) about %s", fact_id, fact_type, subject)
        return appended

    def tail(
        self, after_seq: int = 0, limit: int = 100, subject: str | None = None
    ) -> list[FactRecord]:
        """Facts with `seq` above `after_seq`, oldest first (about `subject` when given)."""
        query = (
            sa.select(process_facts)
            .where(process_facts.c.seq > after_seq)
            .order_by(process_facts.c.seq)
            .limit(limit)
        )
        if subject is not None:
            query = query.where(process_facts.c.subject == subject)
        with self._db.read() as conn:
            return [FactRecord(**row._mapping) for row in conn.execute(query)]

    def latest(self, subject: str, fact_type: str) -> FactRecord | None:
        """The newest fact of `fact_type` about `subject`, or None."""
        query = (
            sa.select(process_facts)
            .where(process_facts.c.subject == subject, process_facts.c.fact_type == fact_type)
            .order_by(process_facts.c.seq.desc())
            .limit(1)
        )
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else FactRecord(**row._mapping)
