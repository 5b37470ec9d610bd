"""Compensation cases and per-kind figures of the real-time ledger, for operators.

Adapter room: SQL on `realtime_exceptions` and `realtime_operations`. Blocking.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store._db import Database
from cloud.adapters.store.realtime_records import ExceptionCase, KindStats
from cloud.store.realtime_tables import gift_cards, realtime_exceptions, realtime_operations
from shared.errors import InvalidInput, NotFound

logger = logging.getLogger(__name__)


def _case(row: sa.Row[tuple[object, ...]]) -> ExceptionCase:
    m = row._mapping
    return ExceptionCase(
        exception_id=m["exception_id"],
        site_id=m["site_id"],
        operation_id=m["operation_id"],
        kind=m["kind"],
        status=m["status"],
        opened_at=m["opened_at"],
        rejection=realtime_pb2.OfflineOperationRejected.FromString(m["rejection"]),
        resolved_at=m["resolved_at"],
        resolution=m["resolution"],
        resolved_by=m["resolved_by"],
    )


class RealtimeCases:
    """Lists and resolves compensation cases; counts decisions per kind."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def cases(self, status: str | None = "open", site_id: str | None = None) -> list[ExceptionCase]:
        if status not in (None, "open", "resolved"):
            raise InvalidInput(f"status {status!r}: use open, resolved or none for all")
        query = sa.select(realtime_exceptions).order_by(realtime_exceptions.c.opened_at)
        if status is not None:
            query = query.where(realtime_exceptions.c.status == status)
        if site_id is not None:
            query = query.where(realtime_exceptions.c.site_id == site_id)
        with self._db.read() as conn:
            return [_case(row) for row in conn.execute(query)]

    def get(self, exception_id: str) -> ExceptionCase:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(realtime_exceptions).where(
                    realtime_exceptions.c.exception_id == exception_id
                )
            ).first()
        if row is None:
            raise NotFound(
                f"no compensation case {exception_id!r}; list them with "
                "`commerce-cloud realtime exceptions list`"
            )
        return _case(row)

    def resolve(
        self, exception_id: str, resolution: str, actor: str, now: datetime
    ) -> ExceptionCase:
        """Close a case; resolving a closed case again with the same text changes nothing."""
        if not resolution.strip():
            raise InvalidInput("resolution: say what was done (e.g. 'customer paid the rest')")
        t = realtime_exceptions.c

        def work(conn: sa.Connection) -> None:
            row = conn.execute(
                sa.select(t.status, t.resolution).where(t.exception_id == exception_id)
            ).first()
            if row is None:
                raise NotFound(
                    f"no compensation case {exception_id!r}; list them with "
                    "`commerce-cloud realtime exceptions list`"
                )
            if row.status == "resolved":
                if row.resolution != resolution:
                    raise InvalidInput(
                        f"case {exception_id} was already resolved ({row.resolution!r}); "
                        "nothing changed"
                    )
                return
            conn.execute(
                realtime_exceptions.update()
                .where(t.exception_id == exception_id)
                .values(
                    status="resolved", resolution=resolution, resolved_by=actor, resolved_at=now
                )
            )

        self._db.write(work)
        return self.get(exception_id)

    def stats(self) -> list[KindStats]:
        o = realtime_operations.c
        e = realtime_exceptions.c
        with self._db.read() as conn:
            ops = {
                row.kind: row
                for row in conn.execute(
                    sa.select(
                        o.kind,
                        sa.func.count().label("calls"),
                        sa.func.sum(sa.case((o.path == "decide", 1), else_=0)).label("cloud"),
                        sa.func.sum(sa.case((o.path != "decide", 1), else_=0)).label("store"),
                        sa.func.sum(sa.case((o.reconciled > 0, 1), else_=0)).label("in_doubt"),
                    ).group_by(o.kind)
                )
            }
            cases = {
                row.kind: row
                for row in conn.execute(
                    sa.select(
                        e.kind,
                        sa.func.count().label("all"),
                        sa.func.sum(sa.case((e.status == "open", 1), else_=0)).label("open"),
                    ).group_by(e.kind)
                )
            }
        result = []
        for kind in sorted(set(ops) | set(cases)):
            op, case = ops.get(kind), cases.get(kind)
            result.append(
                KindStats(
                    kind=kind,
                    calls=int(op.calls) if op else 0,
                    cloud_decisions=int(op.cloud or 0) if op else 0,
                    store_decisions=int(op.store or 0) if op else 0,
                    in_doubt_resolutions=int(op.in_doubt or 0) if op else 0,
                    compensations=int(case.all) if case else 0,
                    open_compensations=int(case.open or 0) if case else 0,
                )
            )
        return result

    def gift_card_balance(self, card_number: str) -> tuple[str, int] | None:
        """(currency, balance in minor units) of a card, or None."""
        t = gift_cards.c
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(t.currency, t.balance_minor_units).where(t.card_number == card_number)
            ).first()
        return None if row is None else (row.currency, int(row.balance_minor_units))
