"""Embedded inter-site inventory: stock per (site, sku), moved by transfers and adjustments
that never take a site below zero.

Adapter room: SQL on `inventory_levels`, inside the transaction the ledger opens.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store.realtime._answer import ProviderAnswer, approve, refuse
from cloud.store.realtime_tables import inventory_levels


def _move(conn: sa.Connection, site_id: str, sku: str, delta: int, now: datetime) -> int | None:
    """New stock of (site, sku) after `delta`, or None when it would go below zero."""
    t = inventory_levels.c
    current = conn.execute(sa.select(t.quantity).where(t.site_id == site_id, t.sku == sku)).scalar()
    if current is None:
        if delta < 0:
            return None
        conn.execute(
            inventory_levels.insert().values(
                site_id=site_id, sku=sku, quantity=delta, updated_at=now
            )
        )
        return delta
    moved = conn.execute(
        inventory_levels.update()
        .where(t.site_id == site_id, t.sku == sku, t.quantity + delta >= 0)
        .values(quantity=t.quantity + delta, updated_at=now)
        .returning(t.quantity)
    ).first()
    return None if moved is None else int(moved[0])


def decide_inventory(
    conn: sa.Connection, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
) -> ProviderAnswer:
    """Transfer or adjust, by the operation's payload."""
    outcome = realtime_pb2.OperationOutcome()
    if op.WhichOneof("payload") == "inventory_transfer":
        move = op.inventory_transfer
        source = _move(conn, move.from_site_id, move.sku, -move.quantity, now)
        if source is None:
            return refuse(
                "InsufficientStock",
                f"site {move.from_site_id} has fewer than {move.quantity} of {move.sku}",
            )
        target = _move(conn, move.to_site_id, move.sku, move.quantity, now)
        assert target is not None  # adding never fails
        outcome.stock[f"{move.from_site_id}/{move.sku}"] = source
        outcome.stock[f"{move.to_site_id}/{move.sku}"] = target
        return approve(
            f"{move.quantity} of {move.sku} moved from {move.from_site_id} to {move.to_site_id}",
            outcome,
        )
    adjust = op.inventory_adjustment
    after = _move(conn, adjust.site_id, adjust.sku, adjust.quantity_delta, now)
    if after is None:
        return refuse(
            "InsufficientStock",
            f"site {adjust.site_id} has fewer than {-adjust.quantity_delta} of {adjust.sku}",
        )
    outcome.stock[f"{adjust.site_id}/{adjust.sku}"] = after
    return approve(f"stock of {adjust.sku} at {adjust.site_id} is now {after}", outcome)
