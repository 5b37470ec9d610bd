"""Realtime room, pure: what the health page and `commerce-edge status` show about real-time
operations: per kind whether the cloud decides now or the offline policy (with its limits),
the exposure taken offline, what waits to be settled, and open compensation cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edge_agent.realtime.journal import JournalSummary, KindExposure, OpenCompensation
from shared.realtime import KindPolicy, kind_name, policy_name


@dataclass(frozen=True)
class KindStatus:
    kind: str
    decided_by: str
    """"cloud" while connected, else "store policy"."""
    offline_policy: str
    per_subject: int
    per_store_per_day: int


@dataclass(frozen=True)
class RealtimeStatus:
    connected: bool
    kinds: tuple[KindStatus, ...] = ()
    unsettled: int = 0
    in_doubt: int = 0
    offline_decisions: int = 0
    exposure: tuple[KindExposure, ...] = ()
    open_compensations: tuple[OpenCompensation, ...] = field(default_factory=tuple)


def build_realtime_status(
    policies: dict[int, KindPolicy], summary: JournalSummary, connected: bool
) -> RealtimeStatus:
    return RealtimeStatus(
        connected=connected,
        kinds=tuple(
            KindStatus(
                kind=kind_name(kind),
                decided_by="cloud" if connected else "store policy",
                offline_policy=policy_name(p.policy),
                per_subject=p.per_subject,
                per_store_per_day=p.per_store_per_day,
            )
            for kind, p in sorted(policies.items())
        ),
        unsettled=summary.unsettled,
        in_doubt=summary.in_doubt,
        offline_decisions=summary.offline_decisions,
        exposure=tuple(summary.exposure),
        open_compensations=tuple(summary.open_compensations),
    )


def status_lines(status: RealtimeStatus) -> list[tuple[str, str]]:
    """(label, text) rows for people: the health page and the status table."""
    rows = []
    for k in status.kinds:
        limits = (
            f", {k.per_subject} per card/account, {k.per_store_per_day} per store/day"
            if k.offline_policy == "allow-within-limits"
            else ""
        )
        rows.append(
            (f"Operation {k.kind}", f"{k.decided_by} now; offline: {k.offline_policy}{limits}")
        )
    for e in status.exposure:
        rows.append(
            (f"Offline exposure {e.kind}", f"{e.store_today} today, {e.unsettled} not yet settled")
        )
    rows.append(
        (
            "Real-time operations waiting for the cloud",
            f"{status.unsettled} ({status.in_doubt} in doubt)",
        )
    )
    for c in status.open_compensations:
        rows.append(
            (f"Open compensation {c.exception_id}", f"{c.kind} {c.operation_id}: {c.message}")
        )
    return rows
