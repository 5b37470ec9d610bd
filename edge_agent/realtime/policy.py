"""Realtime room, pure: the offline policy in force per operation kind (the proto's defaults,
then the site configuration's overrides) and the decision the store takes by it.

No I/O. `offline_decision` never decides silently: every answer names the policy and the
limits that applied, and says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from ameide_core_proto.process.commerce.v1 import options_pb2, realtime_pb2
from shared.realtime import DEFAULT_POLICIES, KindPolicy, amount_of, kind_name, policy_name


def policies_in_force(
    overrides: Iterable[realtime_pb2.OfflinePolicyOverride],
) -> dict[int, KindPolicy]:
    """Defaults from realtime.proto with `overrides` applied in order (the last one wins).
    An override of an unknown kind or without a policy is ignored."""
    table = dict(DEFAULT_POLICIES)
    for override in overrides:
        base = table.get(override.kind)
        if base is None or override.policy == options_pb2.OFFLINE_POLICY_UNSPECIFIED:
            continue
        changed = replace(base, policy=override.policy)
        if override.HasField("limits"):
            changed = replace(
                changed,
                per_subject=override.limits.per_subject,
                per_store_per_day=override.limits.per_store_per_day,
            )
        table[override.kind] = changed
    return table


@dataclass(frozen=True)
class Exposure:
    """What the store already took offline under ALLOW_WITHIN_LIMITS, for one operation."""

    subject: int
    """Approved offline and not yet settled with the cloud, for the same card or account."""
    store_today: int
    """Approved offline today at this store, every subject of the kind."""


def _stamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def offline_decision(
    op: realtime_pb2.RealtimeOperation,
    policy: KindPolicy,
    exposure: Exposure,
    why: str,
    now: datetime,
) -> realtime_pb2.RealtimeDecision:
    """The store's decision on `op` by `policy`; `why` says why the cloud did not decide."""
    decision = realtime_pb2.RealtimeDecision(
        operation_id=op.operation_id,
        kind=op.kind,
        decided_by=realtime_pb2.DECIDED_BY_STORE_POLICY,
        policy=policy.policy,  # type: ignore[arg-type]
        decided_at=_stamp(now),
    )
    name = kind_name(op.kind)
    rule = f"offline policy {policy_name(policy.policy)}"
    if policy.policy == options_pb2.OFFLINE_POLICY_QUEUE_AND_COMPENSATE:
        decision.verdict = realtime_pb2.VERDICT_APPROVED
        decision.reason = "QueuedOffline"
        decision.message = (
            f"{name} accepted by the store ({rule}; {why}); it goes to the cloud when the "
            "store is back online, and a refusal there opens a compensation case"
        )
        return decision
    if policy.policy == options_pb2.OFFLINE_POLICY_ALLOW_WITHIN_LIMITS:
        decision.limits.CopyFrom(policy.limits())
        amount = amount_of(op)
        if exposure.subject + amount > policy.per_subject:
            return _refused(
                decision,
                "OfflineLimitExceeded",
                f"{name} refused by the store ({rule}; {why}): this card or account already "
                f"has {exposure.subject} taken offline and the limit is {policy.per_subject}; "
                "use another tender or wait until the store is online",
            )
        if exposure.store_today + amount > policy.per_store_per_day:
            return _refused(
                decision,
                "OfflineLimitExceeded",
                f"{name} refused by the store ({rule}; {why}): the store took "
                f"{exposure.store_today} offline today and its limit is "
                f"{policy.per_store_per_day}; use another tender or wait until it is online",
            )
        decision.verdict = realtime_pb2.VERDICT_APPROVED
        decision.reason = "WithinOfflineLimits"
        decision.message = (
            f"{name} approved by the store within its offline limits ({rule}; {why}); it is "
            "settled with the cloud when the store is back online"
        )
        return decision
    return _refused(
        decision,
        "NeedsCloud",
        f"{name} needs the cloud ({rule}; {why}); try again when the store is back online",
    )


def _refused(
    decision: realtime_pb2.RealtimeDecision, reason: str, message: str
) -> realtime_pb2.RealtimeDecision:
    decision.verdict = realtime_pb2.VERDICT_REFUSED
    decision.reason = reason
    decision.message = message
    return decision
