"""Real-time-required operations: the policy table read from the proto, and the rules an
operation must meet before anyone decides it.

Shared room: pure functions over the generated `realtime_pb2` and `options_pb2`; no I/O. The
one place that reads the `(operation)` option of `OperationKind`: the agent takes its default
offline policies from `DEFAULT_POLICIES`, the cloud its kinds, and `commerce-cloud realtime
kinds` prints them. `policy_problems()` lists every kind that lacks a policy (a test runs it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import EnumValueDescriptor

from ameide_core_proto.process.commerce.v1 import options_pb2, realtime_pb2, records_pb2
from shared.errors import InvalidInput

__all__ = [
    "DEFAULT_POLICIES",
    "KindPolicy",
    "amount_of",
    "fingerprint",
    "kind_name",
    "payload_field",
    "policy_name",
    "policy_problems",
    "subject_of",
    "validate_operation",
]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
_KIND_PREFIX = "OPERATION_KIND_"


@dataclass(frozen=True)
class KindPolicy:
    """One kind's real-time requirement and offline policy (default or overridden)."""

    kind: int
    realtime_required: bool
    policy: int
    per_subject: int = 0
    per_store_per_day: int = 0

    @property
    def name(self) -> str:
        return kind_name(self.kind)

    def limits(self) -> options_pb2.OfflineLimits:
        return options_pb2.OfflineLimits(
            per_subject=self.per_subject, per_store_per_day=self.per_store_per_day
        )


def kind_name(kind: int) -> str:
    """`OPERATION_KIND_GIFT_CARD_REDEEM` -> `gift-card-redeem`; unknown numbers as `kind-<n>`."""
    try:
        full = realtime_pb2.OperationKind.Name(kind)
    except ValueError:
        return f"kind-{kind}"
    return full.removeprefix(_KIND_PREFIX).lower().replace("_", "-")


def policy_name(policy: int) -> str:
    """`OFFLINE_POLICY_REFUSE` -> `refuse`."""
    try:
        full = options_pb2.OfflinePolicy.Name(policy)
    except ValueError:
        return f"policy-{policy}"
    return full.removeprefix("OFFLINE_POLICY_").lower().replace("_", "-")


def payload_field(kind: int) -> str:
    """The `RealtimeOperation.payload` field a kind's payload travels in."""
    return kind_name(kind).replace("-", "_")


def _declared(value: EnumValueDescriptor) -> KindPolicy | None:
    options: Any = value.GetOptions()  # the stubs do not type custom extensions
    if not options.HasExtension(options_pb2.operation):
        return None
    declared: options_pb2.OperationPolicy = options.Extensions[options_pb2.operation]
    return KindPolicy(
        kind=value.number,
        realtime_required=declared.realtime_required,
        policy=declared.offline_policy,
        per_subject=declared.offline_limits.per_subject,
        per_store_per_day=declared.offline_limits.per_store_per_day,
    )


def _kinds() -> list[EnumValueDescriptor]:
    return [v for v in realtime_pb2.OperationKind.DESCRIPTOR.values if v.number != 0]


def policy_problems(
    values: Iterable[EnumValueDescriptor] | None = None,
) -> list[str]:
    """What is missing in the policy declarations of `values` (every kind by default)."""
    problems = []
    oneof = realtime_pb2.RealtimeOperation.DESCRIPTOR.oneofs_by_name["payload"]
    fields = {f.name for f in oneof.fields}
    for value in _kinds() if values is None else values:
        declared = _declared(value)
        if declared is None:
            problems.append(f"{value.name}: no (operation) option; declare its offline policy")
            continue
        if not declared.realtime_required:
            problems.append(f"{value.name}: realtime_required is false; it is no such kind")
        if declared.policy == options_pb2.OFFLINE_POLICY_UNSPECIFIED:
            problems.append(f"{value.name}: offline_policy is not set")
        if declared.policy == options_pb2.OFFLINE_POLICY_ALLOW_WITHIN_LIMITS and not (
            declared.per_subject and declared.per_store_per_day
        ):
            problems.append(f"{value.name}: ALLOW_WITHIN_LIMITS needs both offline_limits")
        if payload_field(value.number) not in fields:
            problems.append(
                f"{value.name}: RealtimeOperation has no payload field "
                f"{payload_field(value.number)!r}"
            )
    return problems


def _defaults() -> dict[int, KindPolicy]:
    table = {}
    for value in _kinds():
        declared = _declared(value)
        if declared is not None:
            table[value.number] = declared
    return table


DEFAULT_POLICIES: dict[int, KindPolicy] = _defaults()
"""Every operation kind's default, as `realtime.proto` declares it."""


# --- validation ---------------------------------------------------------------------------


def _fail(path: str, message: str) -> InvalidInput:
    return InvalidInput(f"{path}: {message}")


def _required(path: str, value: str) -> None:
    if not value.strip():
        raise _fail(path, "is required")


def _positive_money(path: str, money: records_pb2.Money, currency: str | None) -> None:
    if not _CURRENCY.match(money.currency):
        raise _fail(f"{path}.currency", f"{money.currency!r} is not an ISO 4217 code like 'EUR'")
    if currency and money.currency != currency:
        raise _fail(
            f"{path}.currency",
            f"is {money.currency!r} but this store sells in {currency!r}; convert the amount first",
        )
    if money.minor_units <= 0:
        raise _fail(f"{path}.minor_units", f"is {money.minor_units}; it must be positive")


def _positive(path: str, value: int) -> None:
    if value <= 0:
        raise _fail(path, f"is {value}; it must be positive")


def operation_id_is_valid(operation_id: str) -> bool:
    """True when `operation_id` can name an operation (and a case about it)."""
    return bool(_ID.match(operation_id))


def validate_operation(op: realtime_pb2.RealtimeOperation, currency: str | None = None) -> None:
    """Raise `InvalidInput` naming the field when `op` may not be decided; `currency`, when
    known, is the store's currency every amount must be in."""
    if not _ID.match(op.operation_id):
        raise _fail(
            "operation.operation_id",
            f"{op.operation_id!r} must be 1 to 128 letters, digits or ._:/- (made by the POS, "
            "the same for a retry of the same operation)",
        )
    if op.kind not in DEFAULT_POLICIES:
        known = ", ".join(kind_name(k) for k in sorted(DEFAULT_POLICIES))
        raise _fail("operation.kind", f"{op.kind} is not a known operation kind ({known})")
    chosen = op.WhichOneof("payload")
    expected = payload_field(op.kind)
    if chosen != expected:
        raise _fail(
            f"operation.{expected}",
            f"kind {kind_name(op.kind)} needs its payload in {expected}, "
            f"but {chosen or 'no payload'} was set",
        )
    path = f"operation.{expected}"
    if chosen in ("gift_card_check", "gift_card_redeem", "gift_card_load"):
        _required(f"{path}.card_number", getattr(op, chosen).card_number)
        if chosen != "gift_card_check":
            _positive_money(f"{path}.amount", getattr(op, chosen).amount, currency)
    elif chosen in ("loyalty_earn", "loyalty_redeem"):
        _required(f"{path}.loyalty_number", getattr(op, chosen).loyalty_number)
        _positive(f"{path}.points", getattr(op, chosen).points)
    elif chosen in ("customer_create", "customer_update"):
        _required(f"{path}.customer.customer_id", getattr(op, chosen).customer.customer_id)
    elif chosen == "return_authorization":
        receipt = op.return_authorization.original_receipt
        for name in ("site_id", "register_id", "business_day", "receipt_number"):
            _required(f"{path}.original_receipt.{name}", getattr(receipt, name))
        _positive_money(f"{path}.amount", op.return_authorization.amount, currency)
    elif chosen == "inventory_transfer":
        transfer = op.inventory_transfer
        _required(f"{path}.from_site_id", transfer.from_site_id)
        _required(f"{path}.to_site_id", transfer.to_site_id)
        if transfer.from_site_id == transfer.to_site_id:
            raise _fail(f"{path}.to_site_id", "is the same site as from_site_id")
        _required(f"{path}.sku", transfer.sku)
        _positive(f"{path}.quantity", transfer.quantity)
    elif chosen == "inventory_adjustment":
        _required(f"{path}.site_id", op.inventory_adjustment.site_id)
        _required(f"{path}.sku", op.inventory_adjustment.sku)
        if op.inventory_adjustment.quantity_delta == 0:
            raise _fail(f"{path}.quantity_delta", "is 0; an adjustment changes the stock")
    elif chosen == "risk_check":
        _positive_money(f"{path}.amount", op.risk_check.amount, currency)
        _required(f"{path}.subject", op.risk_check.subject)


def fingerprint(op: realtime_pb2.RealtimeOperation) -> str:
    """Hex SHA-256 of what makes an operation the same operation: its kind and payload."""
    same = realtime_pb2.RealtimeOperation(kind=op.kind)
    chosen = op.WhichOneof("payload")
    if chosen is not None:
        getattr(same, chosen).CopyFrom(getattr(op, chosen))
    return hashlib.sha256(same.SerializeToString(deterministic=True)).hexdigest()


def subject_of(op: realtime_pb2.RealtimeOperation) -> str:
    """What the per-subject offline limit counts over: card, loyalty account, receipt, ..."""
    chosen = op.WhichOneof("payload")
    if chosen in ("gift_card_check", "gift_card_redeem", "gift_card_load"):
        return f"card/{getattr(op, chosen).card_number}"
    if chosen in ("loyalty_earn", "loyalty_redeem"):
        return f"loyalty/{getattr(op, chosen).loyalty_number}"
    if chosen in ("customer_create", "customer_update"):
        return f"customer/{getattr(op, chosen).customer.customer_id}"
    if chosen == "return_authorization":
        r = op.return_authorization.original_receipt
        return f"receipt/{r.site_id}/{r.register_id}/{r.business_day}/{r.receipt_number}"
    if chosen == "inventory_transfer":
        return f"sku/{op.inventory_transfer.sku}"
    if chosen == "inventory_adjustment":
        return f"sku/{op.inventory_adjustment.sku}"
    if chosen == "risk_check":
        return f"risk/{op.risk_check.subject}"
    return ""


def amount_of(op: realtime_pb2.RealtimeOperation) -> int:
    """What an operation counts against its offline limits (minor units, points or units)."""
    chosen = op.WhichOneof("payload")
    if chosen in ("gift_card_redeem", "gift_card_load"):
        return int(getattr(op, chosen).amount.minor_units)
    if chosen in ("loyalty_earn", "loyalty_redeem"):
        return int(getattr(op, chosen).points)
    if chosen == "return_authorization":
        return int(op.return_authorization.amount.minor_units)
    if chosen == "risk_check":
        return int(op.risk_check.amount.minor_units)
    if chosen == "inventory_transfer":
        return int(op.inventory_transfer.quantity)
    if chosen == "inventory_adjustment":
        return abs(int(op.inventory_adjustment.quantity_delta))
    return 0
