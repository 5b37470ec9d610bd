"""Embedded loyalty provider: points per account, earned (a first earn opens the account)
and redeemed, each entry once per (site, operation id).

Adapter room: SQL on the loyalty tables, inside the transaction the ledger opens.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store.realtime._answer import ProviderAnswer, approve, refuse
from cloud.store.realtime_tables import loyalty_accounts, loyalty_entries


def decide_loyalty(
    conn: sa.Connection, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
) -> ProviderAnswer:
    """Earn or redeem points, by the operation's payload."""
    earn = op.WhichOneof("payload") == "loyalty_earn"
    payload = op.loyalty_earn if earn else op.loyalty_redeem
    number, points = payload.loyalty_number, payload.points
    t = loyalty_accounts.c
    current = conn.execute(sa.select(t.points).where(t.loyalty_number == number)).scalar()
    if current is None and not earn:
        return refuse("UnknownAccount", f"loyalty account {number} is not known")
    if current is None:
        conn.execute(
            loyalty_accounts.insert().values(loyalty_number=number, points=0, updated_at=now)
        )
        current = 0
    delta = points if earn else -points
    moved = conn.execute(
        loyalty_accounts.update()
        .where(t.loyalty_number == number, t.points + delta >= 0)
        .values(points=t.points + delta, updated_at=now)
        .returning(t.points)
    ).first()
    if moved is None:
        return refuse(
            "InsufficientPoints",
            f"loyalty account {number} has {current} points, fewer than {points}",
        )
    after = int(moved[0])
    conn.execute(
        loyalty_entries.insert().values(
            site_id=site_id,
            operation_id=op.operation_id,
            loyalty_number=number,
            points=delta,
            balance_after=after,
            at=now,
        )
    )
    verb = "earned" if earn else "redeemed"
    return approve(
        f"{points} points {verb}; balance {after}",
        realtime_pb2.OperationOutcome(points_balance=after),
    )
