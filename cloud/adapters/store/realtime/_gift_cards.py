"""Embedded gift card provider: balances, loads (a first load issues the card) and
redemptions, each entry once per (site, operation id).

Adapter room: SQL on the gift card tables, inside the transaction the ledger opens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2, records_pb2
from cloud.adapters.store.realtime._answer import ProviderAnswer, approve, refuse
from cloud.store.realtime_tables import gift_card_entries, gift_cards


def _money(currency: str, minor_units: int) -> records_pb2.Money:
    return records_pb2.Money(currency=currency, minor_units=minor_units)


def _fmt(currency: str, minor_units: int) -> str:
    return f"{minor_units / 100:.2f} {currency}"


# Built once: SQLAlchemy then reuses their compiled form on the hot path.
_SELECT_CARD = sa.select(gift_cards.c.currency, gift_cards.c.balance_minor_units).where(
    gift_cards.c.card_number == sa.bindparam("card")
)
_MOVE = (
    gift_cards.update()
    .where(
        gift_cards.c.card_number == sa.bindparam("card"),
        gift_cards.c.balance_minor_units + sa.bindparam("delta") >= 0,
    )
    .values(
        balance_minor_units=gift_cards.c.balance_minor_units + sa.bindparam("delta"),
        updated_at=sa.bindparam("now"),
    )
    .returning(gift_cards.c.balance_minor_units)
)
_INSERT_ENTRY = gift_card_entries.insert()


def _card(conn: sa.Connection, number: str) -> sa.Row[Any, Any] | None:
    return conn.execute(_SELECT_CARD, {"card": number}).first()


def _unknown(number: str) -> ProviderAnswer:
    return refuse(
        "UnknownCard", f"gift card {number} is not known; check the number or load it first"
    )


def _entry(
    conn: sa.Connection,
    site_id: str,
    operation_id: str,
    number: str,
    amount: int,
    after: int,
    now: datetime,
) -> None:
    conn.execute(
        _INSERT_ENTRY,
        {
            "site_id": site_id,
            "operation_id": operation_id,
            "card_number": number,
            "amount_minor_units": amount,
            "balance_after": after,
            "at": now,
        },
    )


def decide_gift_card(
    conn: sa.Connection, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
) -> ProviderAnswer:
    """Check, load or redeem, by the operation's payload."""
    chosen = op.WhichOneof("payload")
    if chosen == "gift_card_check":
        card = _card(conn, op.gift_card_check.card_number)
        if card is None:
            return _unknown(op.gift_card_check.card_number)
        balance = _money(card.currency, card.balance_minor_units)
        return approve(
            f"balance {_fmt(card.currency, card.balance_minor_units)}",
            realtime_pb2.OperationOutcome(balance=balance),
        )
    payload = op.gift_card_load if chosen == "gift_card_load" else op.gift_card_redeem
    number, amount = payload.card_number, payload.amount
    card = _card(conn, number)
    if card is None and chosen == "gift_card_load":
        conn.execute(
            gift_cards.insert().values(
                card_number=number,
                currency=amount.currency,
                balance_minor_units=amount.minor_units,
                issued_at=now,
                updated_at=now,
            )
        )
        _entry(conn, site_id, op.operation_id, number, amount.minor_units, amount.minor_units, now)
        return approve(
            f"gift card {number} issued with {_fmt(amount.currency, amount.minor_units)}",
            realtime_pb2.OperationOutcome(balance=amount),
        )
    if card is None:
        return _unknown(number)
    if card.currency != amount.currency:
        return refuse(
            "CurrencyMismatch",
            f"gift card {number} holds {card.currency}, the amount is in {amount.currency}; "
            f"use an amount in {card.currency}",
        )
    delta = amount.minor_units if chosen == "gift_card_load" else -amount.minor_units
    moved = conn.execute(_MOVE, {"card": number, "delta": delta, "now": now}).first()
    if moved is None:
        return refuse(
            "InsufficientBalance",
            f"gift card {number} has {_fmt(card.currency, card.balance_minor_units)}, less than "
            f"{_fmt(amount.currency, amount.minor_units)}; take the rest with another tender",
        )
    after = int(moved[0])
    _entry(conn, site_id, op.operation_id, number, delta, after, now)
    verb = "loaded" if delta > 0 else "redeemed"
    return approve(
        f"{_fmt(amount.currency, amount.minor_units)} {verb}; balance {_fmt(card.currency, after)}",
        realtime_pb2.OperationOutcome(balance=_money(card.currency, after)),
    )
