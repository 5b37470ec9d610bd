"""Test support: sales, returns and adjustments whose totals add up, as a POS would send them."""

from __future__ import annotations

from ameide_core_proto.process.commerce.v1 import records_pb2
from tests.edge_agent.edge_support import SITE


def _money(minor: int) -> records_pb2.Money:
    return records_pb2.Money(currency="EUR", minor_units=minor)


def receipt(
    number: str, *, register: str = "till-1", day: str = "2026-11-25"
) -> records_pb2.ReceiptRef:
    return records_pb2.ReceiptRef(
        site_id=SITE, register_id=register, business_day=day, receipt_number=number
    )


def line(
    n: int, sku: str, quantity: int, unit: int, discount: int = 0, tax: int = 0
) -> records_pb2.TransactionLine:
    return records_pb2.TransactionLine(
        line_number=n,
        sku=sku,
        quantity=quantity,
        unit_price=_money(unit),
        discount=_money(discount),
        tax=_money(tax),
        line_total=_money(quantity * unit - discount + tax),
    )


def sale(
    transaction_id: str, *, register: str = "till-1", day: str = "2026-11-25"
) -> records_pb2.SalesTransaction:
    lines = [line(1, "A", 2, 250, discount=50, tax=95), line(2, "B", 1, 1000, tax=210)]
    total = sum(li.line_total.minor_units for li in lines)
    s = records_pb2.SalesTransaction(
        transaction_id=transaction_id,
        receipt=receipt(f"R-{transaction_id}", register=register, day=day),
        lines=lines,
        tenders=[records_pb2.Tender(tender_type="card", amount=_money(total))],
        total=_money(total),
    )
    s.occurred_at.FromSeconds(1_764_000_000)
    return s


def sales_return(return_id: str, *, register: str = "till-1") -> records_pb2.SalesReturn:
    lines = [line(1, "A", -1, 250, tax=-50)]
    total = sum(li.line_total.minor_units for li in lines)
    r = records_pb2.SalesReturn(
        return_id=return_id,
        receipt=receipt(f"RR-{return_id}", register=register),
        lines=lines,
        tenders=[records_pb2.Tender(tender_type="cash", amount=_money(total))],
        total=_money(total),
        reason="damaged",
    )
    r.occurred_at.FromSeconds(1_764_000_100)
    return r


def adjustment(adjustment_id: str, delta: int = -2) -> records_pb2.InventoryAdjustment:
    a = records_pb2.InventoryAdjustment(
        adjustment_id=adjustment_id, site_id=SITE, sku="A", quantity_delta=delta, reason="damage"
    )
    a.occurred_at.FromSeconds(1_764_000_200)
    return a
