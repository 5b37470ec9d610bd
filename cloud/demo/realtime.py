"""The demo's real-time step: a gift card issued, checked and redeemed through the store's POS API.

Composition room (demo): talks only to the demo store's `PosService` on loopback, as till
software would; the agent forwards each operation to the cloud, whose gift card ledger decides.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import grpc

from ameide_core_proto.process.commerce.v1 import (
    pos_pb2,
    pos_pb2_grpc,
    realtime_pb2,
    records_pb2,
)
from cloud.cli.output import console

DEMO_CARD_PREFIX = "DEMO-GC"
_LOAD_MINOR_UNITS = 5000
_REDEEM_MINOR_UNITS = 1250


class RealtimeStepFailed(Exception):
    """A decision of the demo's real-time step was not the one the demo expects."""


def _money(minor_units: int) -> records_pb2.Money:
    return records_pb2.Money(currency="EUR", minor_units=minor_units)


def _operation(stamp: str, step: str, kind: int) -> realtime_pb2.RealtimeOperation:
    op = realtime_pb2.RealtimeOperation(
        operation_id=f"demo-{stamp}-{step}",
        kind=cast(Any, kind),
        register_id="r1",
    )
    op.requested_at.FromDatetime(datetime.now(UTC))
    return op


def _describe(decision: realtime_pb2.RealtimeDecision) -> str:
    verdict = realtime_pb2.Verdict.Name(decision.verdict).removeprefix("VERDICT_").lower()
    by = realtime_pb2.DecidedBy.Name(decision.decided_by).removeprefix("DECIDED_BY_").lower()
    return f"{verdict} by {by.replace('_', ' ')} ({decision.reason}): {decision.message}"


async def show_realtime(pos_address: str) -> None:
    """Issue a demo gift card, check it and redeem part of it; every answer must be the cloud's.

    Raises RealtimeStepFailed naming the operation whose decision was not the expected one,
    grpc.aio.AioRpcError when the POS API does not answer.
    """
    stamp = f"{datetime.now(UTC):%Y%m%d%H%M%S%f}"
    card = f"{DEMO_CARD_PREFIX}-{stamp}"
    load = _operation(stamp, "load", realtime_pb2.OPERATION_KIND_GIFT_CARD_LOAD)
    load.gift_card_load.CopyFrom(
        realtime_pb2.GiftCardLoad(card_number=card, amount=_money(_LOAD_MINOR_UNITS))
    )
    check = _operation(stamp, "check", realtime_pb2.OPERATION_KIND_GIFT_CARD_CHECK)
    check.gift_card_check.CopyFrom(realtime_pb2.GiftCardCheck(card_number=card))
    redeem = _operation(stamp, "redeem", realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM)
    redeem.gift_card_redeem.CopyFrom(
        realtime_pb2.GiftCardRedeem(card_number=card, amount=_money(_REDEEM_MINOR_UNITS))
    )
    expected_balance = {
        "load": _LOAD_MINOR_UNITS,
        "check": _LOAD_MINOR_UNITS,
        "redeem": _LOAD_MINOR_UNITS - _REDEEM_MINOR_UNITS,
    }
    async with grpc.aio.insecure_channel(pos_address) as channel:
        pos: Any = cast(Any, pos_pb2_grpc).PosServiceStub(channel)
        for step, op in (("load", load), ("check", check), ("redeem", redeem)):
            answer = await pos.DecideOperation(
                pos_pb2.DecideOperationRequest(operation=op), timeout=15
            )
            decision: realtime_pb2.RealtimeDecision = answer.decision
            console.print(f"realtime: gift card {step}: {_describe(decision)}", highlight=False)
            if decision.verdict != realtime_pb2.VERDICT_APPROVED:
                raise RealtimeStepFailed(
                    f"gift card {step} was not approved: {_describe(decision)}"
                )
            if decision.decided_by != realtime_pb2.DECIDED_BY_CLOUD:
                raise RealtimeStepFailed(
                    f"gift card {step} was decided by the store, not the cloud: "
                    f"{_describe(decision)}; is the store connected?"
                )
            balance = decision.outcome.balance.minor_units
            if balance != expected_balance[step]:
                raise RealtimeStepFailed(
                    f"gift card {step}: balance {balance / 100:.2f} EUR, expected "
                    f"{expected_balance[step] / 100:.2f} EUR"
                )
    console.print(
        "realtime: offline decisions (the store decides by its policy when the cloud does not "
        "answer in time) are not shown here; `commerce-cloud realtime kinds` lists the policies",
        highlight=False,
    )


async def realtime_step(pos_address: str) -> bool:
    """The real-time step; False (the reason printed) when it failed."""
    try:
        await show_realtime(pos_address)
        return True
    except (RealtimeStepFailed, grpc.aio.AioRpcError) as exc:
        console.print(f"[red]realtime demo failed: {exc}[/red]")
        return False
