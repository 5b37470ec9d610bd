"""The POS record rules: each refusal names the field and says how to put it right."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ameide_core_proto.process.commerce.v1 import records_pb2
from edge_agent.pos.validation import validate_adjustment, validate_return, validate_sale
from shared.errors import InvalidInput
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.pos_records import adjustment, sale, sales_return

Sale = records_pb2.SalesTransaction


def _set_quantity(s: Sale, index: int, quantity: int) -> None:
    line = s.lines[index]
    line.quantity = quantity
    line.line_total.minor_units = (
        quantity * line.unit_price.minor_units - line.discount.minor_units + line.tax.minor_units
    )


SALE_CASES: list[tuple[str, Callable[[Sale], None], str]] = [
    ("no id", lambda s: s.ClearField("transaction_id"), r"^transaction_id: is required"),
    (
        "other store",
        lambda s: setattr(s.receipt, "site_id", "store-9"),
        r"^receipt\.site_id: is 'store-9' but this store is",
    ),
    (
        "no register",
        lambda s: s.receipt.ClearField("register_id"),
        r"^receipt\.register_id: is required",
    ),
    (
        "no receipt number",
        lambda s: s.receipt.ClearField("receipt_number"),
        r"^receipt\.receipt_number: is required",
    ),
    (
        "day shape",
        lambda s: setattr(s.receipt, "business_day", "25-11-2026"),
        r"^receipt\.business_day: '25-11-2026' is not a date as YYYY-MM-DD",
    ),
    (
        "no such day",
        lambda s: setattr(s.receipt, "business_day", "2026-02-30"),
        r"^receipt\.business_day: '2026-02-30'",
    ),
    ("no time", lambda s: s.ClearField("occurred_at"), r"^occurred_at: is required"),
    ("no lines", lambda s: s.ClearField("lines"), r"^lines: at least one line is required"),
    ("no sku", lambda s: s.lines[1].ClearField("sku"), r"^lines\[1\]\.sku: is required"),
    (
        "negative quantity",
        lambda s: _set_quantity(s, 1, -1),
        r"^lines\[1\]\.quantity: must be positive on a sale; use RecordReturn for returned goods",
    ),
    ("zero quantity", lambda s: _set_quantity(s, 0, 0), r"^lines\[0\]\.quantity: must be positive"),
    (
        "line total off",
        lambda s: setattr(s.lines[0].line_total, "minor_units", 1),
        r"^lines\[0\]\.line_total: is 1 but quantity \* unit_price - discount \+ tax = 545",
    ),
    (
        "negative discount",
        lambda s: setattr(s.lines[0].discount, "minor_units", -5),
        r"^lines\[0\]\.discount: is a positive amount",
    ),
    (
        "two currencies",
        lambda s: setattr(s.lines[1].unit_price, "currency", "USD"),
        r"^lines\[1\]\.unit_price\.currency: is 'USD' but the record is in 'EUR'",
    ),
    (
        "bad currency",
        lambda s: setattr(s.total, "currency", "euro"),
        r"^total\.currency: 'euro' is not an ISO 4217 code",
    ),
    (
        "total off",
        lambda s: setattr(s.total, "minor_units", 10),
        r"^total: is 10 but the line totals add up to 1755",
    ),
    ("no tenders", lambda s: s.ClearField("tenders"), r"^tenders: at least one tender is required"),
    (
        "tenders off",
        lambda s: setattr(s.tenders[0].amount, "minor_units", 5),
        r"^tenders: add up to 5 but the total is 1755",
    ),
    (
        "tender type",
        lambda s: s.tenders[0].ClearField("tender_type"),
        r"^tenders\[0\]\.tender_type: is required",
    ),
]


def test_a_sale_that_adds_up_passes() -> None:
    validate_sale(sale("T1"), SITE)


@pytest.mark.parametrize(("case", "spoil", "message"), SALE_CASES, ids=[c[0] for c in SALE_CASES])
def test_a_sale_is_refused_naming_the_field(
    case: str, spoil: Callable[[Sale], None], message: str
) -> None:
    bad = sale("T1")
    spoil(bad)
    with pytest.raises(InvalidInput, match=message):
        validate_sale(bad, SITE)


def test_a_return_needs_negative_quantities_and_may_name_another_stores_receipt() -> None:
    ret = sales_return("R1")
    ret.original_receipt.CopyFrom(
        records_pb2.ReceiptRef(
            site_id="store-0001", register_id="t", business_day="2026-11-01", receipt_number="9"
        )
    )
    validate_return(ret, SITE)
    ret.lines[0].quantity = 1
    with pytest.raises(InvalidInput, match=r"^lines\[0\]\.quantity: must be negative on a return"):
        validate_return(ret, SITE)
    ret = sales_return("R1")
    ret.original_receipt.CopyFrom(ret.receipt)
    ret.original_receipt.business_day = "yesterday"
    with pytest.raises(InvalidInput, match=r"^original_receipt\.business_day"):
        validate_return(ret, SITE)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda a: a.ClearField("adjustment_id"), r"^adjustment_id: is required"),
        (lambda a: setattr(a, "site_id", "store-9"), r"^site_id: is 'store-9' but this store"),
        (lambda a: a.ClearField("sku"), r"^sku: is required"),
        (lambda a: setattr(a, "quantity_delta", 0), r"^quantity_delta: must not be zero"),
        (lambda a: a.ClearField("reason"), r"^reason: is required"),
        (lambda a: a.ClearField("occurred_at"), r"^occurred_at: is required"),
    ],
)
def test_an_adjustment_is_refused_naming_the_field(
    spoil: Callable[[records_pb2.InventoryAdjustment], None], message: str
) -> None:
    validate_adjustment(adjustment("ADJ1"), SITE)
    bad = adjustment("ADJ1")
    spoil(bad)
    with pytest.raises(InvalidInput, match=message):
        validate_adjustment(bad, SITE)
