"""Builders of real-time-required operations for the tests of both sides."""

from __future__ import annotations

from ameide_core_proto.process.commerce.v1 import realtime_pb2, records_pb2


def eur(minor_units: int) -> records_pb2.Money:
    return records_pb2.Money(currency="EUR", minor_units=minor_units)


def load(op_id: str, card: str, amount: int) -> realtime_pb2.RealtimeOperation:
    return realtime_pb2.RealtimeOperation(
        operation_id=op_id,
        kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_LOAD,
        gift_card_load=realtime_pb2.GiftCardLoad(card_number=card, amount=eur(amount)),
    )


def redeem(op_id: str, card: str, amount: int) -> realtime_pb2.RealtimeOperation:
    return realtime_pb2.RealtimeOperation(
        operation_id=op_id,
        kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM,
        gift_card_redeem=realtime_pb2.GiftCardRedeem(card_number=card, amount=eur(amount)),
    )


def check(op_id: str, card: str) -> realtime_pb2.RealtimeOperation:
    return realtime_pb2.RealtimeOperation(
        operation_id=op_id,
        kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_CHECK,
        gift_card_check=realtime_pb2.GiftCardCheck(card_number=card),
    )


def loyalty(op_id: str, number: str, points: int, *, earn: bool) -> realtime_pb2.RealtimeOperation:
    if earn:
        return realtime_pb2.RealtimeOperation(
            operation_id=op_id,
            kind=realtime_pb2.OPERATION_KIND_LOYALTY_EARN,
            loyalty_earn=realtime_pb2.LoyaltyEarn(loyalty_number=number, points=points),
        )
    return realtime_pb2.RealtimeOperation(
        operation_id=op_id,
        kind=realtime_pb2.OPERATION_KIND_LOYALTY_REDEEM,
        loyalty_redeem=realtime_pb2.LoyaltyRedeem(loyalty_number=number, points=points),
    )


def store_decision(
    op: realtime_pb2.RealtimeOperation, approved: bool = True
) -> realtime_pb2.RealtimeDecision:
    """What a store decided offline about `op`."""
    return realtime_pb2.RealtimeDecision(
        operation_id=op.operation_id,
        kind=op.kind,
        verdict=realtime_pb2.VERDICT_APPROVED if approved else realtime_pb2.VERDICT_REFUSED,
        decided_by=realtime_pb2.DECIDED_BY_STORE_POLICY,
        reason="WithinOfflineLimits" if approved else "NeedsCloud",
    )
