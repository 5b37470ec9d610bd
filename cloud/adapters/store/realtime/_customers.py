"""Embedded central customer register: create and update, with a version per customer.

Adapter room: SQL on `customer_register`, inside the transaction the ledger opens.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store.realtime._answer import ProviderAnswer, approve, refuse
from cloud.store.realtime_tables import customer_register


def decide_customer(
    conn: sa.Connection, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
) -> ProviderAnswer:
    """Create or update the customer, by the operation's payload."""
    create = op.WhichOneof("payload") == "customer_create"
    customer = (op.customer_create if create else op.customer_update).customer
    t = customer_register.c
    version = conn.execute(
        sa.select(t.version).where(t.customer_id == customer.customer_id)
    ).scalar()
    record = customer.SerializeToString(deterministic=True)
    outcome = realtime_pb2.OperationOutcome(customer_id=customer.customer_id)
    if create:
        if version is not None:
            return refuse(
                "CustomerExists",
                f"customer {customer.customer_id} is already registered; update it instead",
            )
        conn.execute(
            customer_register.insert().values(
                customer_id=customer.customer_id,
                sales_channel_id=customer.sales_channel_id,
                record=record,
                version=1,
                updated_by_site=site_id,
                updated_at=now,
            )
        )
        return approve(f"customer {customer.customer_id} registered", outcome)
    if version is None:
        return refuse(
            "UnknownCustomer",
            f"customer {customer.customer_id} is not registered; create it first",
        )
    conn.execute(
        customer_register.update()
        .where(t.customer_id == customer.customer_id)
        .values(
            sales_channel_id=customer.sales_channel_id,
            record=record,
            version=t.version + 1,
            updated_by_site=site_id,
            updated_at=now,
        )
    )
    return approve(f"customer {customer.customer_id} updated (version {version + 1})", outcome)
