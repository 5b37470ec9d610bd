"""POS room, pure: the rules a sale, return or stock adjustment must meet before the outbox
takes it. No I/O. Each refusal is `InvalidInput` whose message starts with the field path
(`lines[1].quantity: ...`, lines counted from 0) and says how to put it right.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from ameide_core_proto.process.commerce.v1 import records_pb2
from shared.errors import InvalidInput

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _fail(path: str, message: str) -> InvalidInput:
    return InvalidInput(f"{path}: {message}")


def _required(path: str, value: str) -> None:
    if not value.strip():
        raise _fail(path, "is required")


def _receipt(path: str, receipt: records_pb2.ReceiptRef, site_id: str | None) -> None:
    """`site_id` None: a receipt of any store (the original receipt of a return)."""
    if site_id is None:
        _required(f"{path}.site_id", receipt.site_id)
    elif receipt.site_id != site_id:
        raise _fail(
            f"{path}.site_id",
            f"is {receipt.site_id!r} but this store is {site_id!r}; record it at its own store",
        )
    _required(f"{path}.register_id", receipt.register_id)
    _required(f"{path}.receipt_number", receipt.receipt_number)
    day = receipt.business_day
    valid = bool(_DAY.match(day))
    if valid:
        try:
            date.fromisoformat(day)
        except ValueError:
            valid = False
    if not valid:
        raise _fail(f"{path}.business_day", f"{day!r} is not a date as YYYY-MM-DD")


def _money(path: str, money: records_pb2.Money, currency: str, *, optional: bool = False) -> int:
    """The amount in minor units; its currency must be the record's (an unset optional
    amount counts as zero)."""
    if optional and not money.currency and money.minor_units == 0:
        return 0
    if money.currency != currency:
        raise _fail(
            f"{path}.currency",
            f"is {money.currency!r} but the record is in {currency!r}; one currency per record",
        )
    return money.minor_units


def _lines_and_tenders(
    lines: Sequence[records_pb2.TransactionLine],
    tenders: Sequence[records_pb2.Tender],
    total: records_pb2.Money,
    *,
    is_return: bool,
) -> None:
    currency = total.currency
    if not _CURRENCY.match(currency):
        raise _fail("total.currency", f"{currency!r} is not an ISO 4217 code such as 'EUR'")
    if not lines:
        raise _fail("lines", "at least one line is required")
    line_sum = 0
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        _required(f"{where}.sku", line.sku)
        if is_return and line.quantity >= 0:
            raise _fail(f"{where}.quantity", "must be negative on a return (units going back)")
        if not is_return and line.quantity <= 0:
            raise _fail(
                f"{where}.quantity",
                "must be positive on a sale; use RecordReturn for returned goods",
            )
        unit = _money(f"{where}.unit_price", line.unit_price, currency)
        if unit < 0:
            raise _fail(f"{where}.unit_price", "must not be negative")
        discount = _money(f"{where}.discount", line.discount, currency, optional=True)
        if discount < 0:
            raise _fail(f"{where}.discount", "is a positive amount off the line")
        tax = _money(f"{where}.tax", line.tax, currency, optional=True)
        line_total = _money(f"{where}.line_total", line.line_total, currency)
        expected = line.quantity * unit - discount + tax
        if line_total != expected:
            raise _fail(
                f"{where}.line_total",
                f"is {line_total} but quantity * unit_price - discount + tax = {expected}",
            )
        line_sum += line_total
    if total.minor_units != line_sum:
        raise _fail("total", f"is {total.minor_units} but the line totals add up to {line_sum}")
    if not tenders:
        raise _fail("tenders", "at least one tender is required")
    tendered = 0
    for index, tender in enumerate(tenders):
        _required(f"tenders[{index}].tender_type", tender.tender_type)
        tendered += _money(f"tenders[{index}].amount", tender.amount, currency)
    if tendered != total.minor_units:
        raise _fail("tenders", f"add up to {tendered} but the total is {total.minor_units}")


def validate_sale(sale: records_pb2.SalesTransaction, site_id: str) -> None:
    """`InvalidInput` naming the first field of `sale` that is wrong."""
    _required("transaction_id", sale.transaction_id)
    _receipt("receipt", sale.receipt, site_id)
    if not sale.HasField("occurred_at"):
        raise _fail("occurred_at", "is required")
    _lines_and_tenders(sale.lines, sale.tenders, sale.total, is_return=False)


def validate_return(sales_return: records_pb2.SalesReturn, site_id: str) -> None:
    """`InvalidInput` naming the first field of `sales_return` that is wrong."""
    _required("return_id", sales_return.return_id)
    _receipt("receipt", sales_return.receipt, site_id)
    if sales_return.HasField("original_receipt"):
        _receipt("original_receipt", sales_return.original_receipt, None)
    if not sales_return.HasField("occurred_at"):
        raise _fail("occurred_at", "is required")
    _lines_and_tenders(sales_return.lines, sales_return.tenders, sales_return.total, is_return=True)


def validate_adjustment(adjustment: records_pb2.InventoryAdjustment, site_id: str) -> None:
    """`InvalidInput` naming the first field of `adjustment` that is wrong."""
    _required("adjustment_id", adjustment.adjustment_id)
    if adjustment.site_id != site_id:
        raise _fail(
            "site_id",
            f"is {adjustment.site_id!r} but this store is {site_id!r}; adjust stock at its "
            "own store",
        )
    _required("sku", adjustment.sku)
    if adjustment.quantity_delta == 0:
        raise _fail("quantity_delta", "must not be zero (units added or removed)")
    _required("reason", adjustment.reason)
    if not adjustment.HasField("occurred_at"):
        raise _fail("occurred_at", "is required")
