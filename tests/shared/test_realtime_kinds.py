"""Every real-time-required operation kind declares its offline policy in realtime.proto, and
operations are checked before anyone decides them."""

from __future__ import annotations

import pytest

from ameide_core_proto.process.commerce.v1 import options_pb2, realtime_pb2, records_pb2
from shared.errors import InvalidInput
from shared.realtime import (
    DEFAULT_POLICIES,
    fingerprint,
    kind_name,
    policy_problems,
    validate_operation,
)

SPEC_KINDS = {
    "gift-card-check",
    "gift-card-redeem",
    "gift-card-load",
    "loyalty-earn",
    "loyalty-redeem",
    "customer-create",
    "customer-update",
    "return-authorization",
    "inventory-transfer",
    "inventory-adjustment",
    "risk-check",
}


def test_every_operation_kind_declares_a_policy() -> None:
    assert policy_problems() == []
    assert {kind_name(k) for k in DEFAULT_POLICIES} == SPEC_KINDS


def test_the_policy_check_fails_for_a_kind_without_a_policy() -> None:
    # Verdict's values carry no (operation) option: exactly what a new kind without one is.
    problems = policy_problems([v for v in realtime_pb2.Verdict.DESCRIPTOR.values if v.number != 0])
    assert problems and all("no (operation) option" in p for p in problems)


def test_defaults_come_from_the_proto() -> None:
    redeem = DEFAULT_POLICIES[realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM]
    assert redeem.policy == options_pb2.OFFLINE_POLICY_ALLOW_WITHIN_LIMITS
    assert (redeem.per_subject, redeem.per_store_per_day) == (5000, 50000)
    check = DEFAULT_POLICIES[realtime_pb2.OPERATION_KIND_GIFT_CARD_CHECK]
    assert check.policy == options_pb2.OFFLINE_POLICY_REFUSE


def _redeem(minor_units: int = 500, currency: str = "EUR") -> realtime_pb2.RealtimeOperation:
    return realtime_pb2.RealtimeOperation(
        operation_id="op-1",
        kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM,
        gift_card_redeem=realtime_pb2.GiftCardRedeem(
            card_number="GC-1", amount=records_pb2.Money(currency=currency, minor_units=minor_units)
        ),
    )


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (_redeem(0), "operation.gift_card_redeem.amount.minor_units: is 0; it must be positive"),
        (_redeem(-5), "minor_units: is -5; it must be positive"),
        (_redeem(currency="USD"), "this store sells in 'EUR'"),
        (
            realtime_pb2.RealtimeOperation(operation_id="op-1", kind=99),
            "operation.kind: 99 is not a known operation kind",
        ),
        (
            realtime_pb2.RealtimeOperation(
                operation_id="op-1",
                kind=realtime_pb2.OPERATION_KIND_LOYALTY_REDEEM,
                gift_card_check=realtime_pb2.GiftCardCheck(card_number="GC-1"),
            ),
            "kind loyalty-redeem needs its payload in loyalty_redeem, but gift_card_check was set",
        ),
        (
            realtime_pb2.RealtimeOperation(
                operation_id="", kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_CHECK
            ),
            "operation.operation_id",
        ),
    ],
)
def test_bad_operations_are_refused_naming_the_field(
    op: realtime_pb2.RealtimeOperation, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_operation(op, "EUR")


def test_a_good_operation_passes_and_its_fingerprint_ignores_the_envelope() -> None:
    op = _redeem()
    validate_operation(op, "EUR")
    again = _redeem()
    again.register_id = "till-2"
    assert fingerprint(op) == fingerprint(again)
    assert fingerprint(op) != fingerprint(_redeem(501))
