"""Embedded return authorization against the sales stores pushed up: was the receipt sold (and
upsynced), is the amount within its total, was it already returned.

Adapter room: reads `ingested_records`, writes `return_authorizations`, inside the
transaction the ledger opens.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2, records_pb2
from cloud.adapters.store.realtime._answer import ProviderAnswer, approve, refuse
from cloud.store.realtime_tables import return_authorizations
from cloud.store.tables import ingested_records


def _receipt_key(r: records_pb2.ReceiptRef) -> str:
    return f"{r.site_id}/{r.register_id}/{r.business_day}/{r.receipt_number}"


def _sale(
    conn: sa.Connection, receipt: records_pb2.ReceiptRef
) -> records_pb2.SalesTransaction | None:
    t = ingested_records.c
    rows = conn.execute(
        sa.select(t.record).where(
            t.site_id == receipt.site_id,
            t.stream == "sales",
            t.register_id == receipt.register_id,
            t.business_day == receipt.business_day,
        )
    )
    for (blob,) in rows:
        sale = records_pb2.SalesTransaction.FromString(blob)
        if sale.receipt.receipt_number == receipt.receipt_number:
            return sale
    return None


def decide_return(
    conn: sa.Connection, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
) -> ProviderAnswer:
    """Authorize a return of `original_receipt` for `amount`, at most once per receipt."""
    receipt, amount = op.return_authorization.original_receipt, op.return_authorization.amount
    key = _receipt_key(receipt)
    t = return_authorizations.c
    earlier = conn.execute(sa.select(t.site_id, t.operation_id).where(t.receipt_key == key)).first()
    if earlier is not None:
        return refuse(
            "AlreadyReturned",
            f"receipt {key} was already returned (operation {earlier.operation_id} at site "
            f"{earlier.site_id}); a receipt is returned once",
        )
    sale = _sale(conn, receipt)
    if sale is None:
        return refuse(
            "ReceiptNotFound",
            f"no sale with receipt {key} reached the cloud; check the receipt, or wait until "
            f"store {receipt.site_id} has pushed its sales",
        )
    if sale.total.currency != amount.currency:
        return refuse(
            "CurrencyMismatch",
            f"receipt {key} was paid in {sale.total.currency}, the refund is in {amount.currency}",
        )
    if amount.minor_units > sale.total.minor_units:
        return refuse(
            "AmountExceedsSale",
            f"refund {amount.minor_units} exceeds the sale's total {sale.total.minor_units} "
            f"{sale.total.currency}",
        )
    conn.execute(
        return_authorizations.insert().values(
            receipt_key=key,
            site_id=site_id,
            operation_id=op.operation_id,
            amount_minor_units=amount.minor_units,
            currency=amount.currency,
            at=now,
        )
    )
    return approve(f"return of receipt {key} authorized")
