"""One input and one output dataclass per activity of VerifyDomainClaim.

Pure data, imported by workflows; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cloud.domains.records import ConditionRecord, DnsAnswer


@dataclass(frozen=True)
class CheckDomainClaim:
    claim_id: str
    # When the workflow checks again if this check does not verify; None: this is the
    # last check (the deadline has come).
    next_check_at: datetime | None
    # Who asked for this check ("schedule", or the actor of a recheck).
    trigger: str = "schedule"


@dataclass(frozen=True)
class DomainCheckOutcome:
    verified: bool
    # A DNS server did not answer: the check decided nothing.
    unanswered: bool
    conditions: list[ConditionRecord]
    observed: list[DnsAnswer]
    # The claim's state after the check; anything but "pending" ends the workflow.
    claim_state: str
    tenant_id: str = ""
    storefront_id: str = ""
    hostname: str = ""


@dataclass(frozen=True)
class RecordDomainVerified:
    claim_id: str
    # Serialized ProcessFact (DomainVerified) with its deterministic id.
    fact: bytes


@dataclass(frozen=True)
class FailDomainClaim:
    claim_id: str
    reason: str
    conditions: list[ConditionRecord] = field(default_factory=list)


@dataclass(frozen=True)
class DomainClaimEnded:
    claim_id: str
    state: str
