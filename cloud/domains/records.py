"""Data of domain claims: DNS answers, expected records, conditions and claim rows.

Domain room: frozen dataclasses only (JSON-friendly; activities pass them through Temporal and
workflows may import them: the module is on the deterministic-imports list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# How a DNS question was answered.
ANSWER_OK = "ok"
ANSWER_NXDOMAIN = "nxdomain"
ANSWER_NODATA = "nodata"
ANSWER_SERVFAIL = "servfail"
ANSWER_TIMEOUT = "timeout"
ANSWER_ERROR = "error"
# Answers that say nothing about the records: the question must be asked again.
UNANSWERED = frozenset({ANSWER_SERVFAIL, ANSWER_TIMEOUT, ANSWER_ERROR})

# Claim states. A claim holds its hostname while pending or verified.
CLAIM_PENDING = "pending"
CLAIM_VERIFIED = "verified"
CLAIM_FAILED = "failed"
CLAIM_RELEASED = "released"
CLAIM_SUPERSEDED = "superseded"
ACTIVE_CLAIM_STATES = (CLAIM_PENDING, CLAIM_VERIFIED)
CLAIM_STATES = (CLAIM_PENDING, CLAIM_VERIFIED, CLAIM_FAILED, CLAIM_RELEASED, CLAIM_SUPERSEDED)


def audit_subject(hostname: str) -> str:
    """The audit-log subject of a hostname's events."""
    return f"domain:{hostname}"


@dataclass(frozen=True)
class DnsAnswer:
    """What DNS said to one question (`values` in presentation form, e.g. '"token"')."""

    name: str
    rdtype: str
    status: str
    values: list[str] = field(default_factory=list)
    # CNAME targets followed on the way, first hop first.
    cname_chain: list[str] = field(default_factory=list)
    # Which server answered, or what went wrong.
    detail: str = ""

    def describe(self) -> str:
        """Short text for people, e.g. 'TXT "abc"' or 'no TXT record (NXDOMAIN)'."""
        if self.status in UNANSWERED:
            return f"{self.status.upper()} for {self.rdtype} {self.name}" + (
                f" ({self.detail})" if self.detail else ""
            )
        parts = [f"CNAME {target}" for target in self.cname_chain]
        if self.values:
            parts.append(f"{self.rdtype} " + ", ".join(self.values))
        if not parts:
            why = "NXDOMAIN" if self.status == ANSWER_NXDOMAIN else "no data"
            return f"no {self.rdtype} record ({why})"
        return " -> ".join(parts)


@dataclass(frozen=True)
class DnsObservation:
    """The answers one check saw for a claim."""

    txt: DnsAnswer
    a: DnsAnswer
    aaaa: DnsAnswer
    observed_at: datetime

    def answers(self) -> list[DnsAnswer]:
        return [self.txt, self.a, self.aaaa]


@dataclass(frozen=True)
class ExpectedRecord:
    """A record the merchant must set (one of the routing records is enough)."""

    name: str
    type: str
    value: str
    purpose: str


@dataclass(frozen=True)
class DomainExpectations:
    """What a claim's DNS must show: the TXT challenge and a route to the gateway."""

    hostname: str
    challenge_name: str
    challenge_value: str
    cname_target: str
    gateway_addresses: list[str]
    cdn_cidrs: list[str] = field(default_factory=list)
    cdn_cname_suffixes: list[str] = field(default_factory=list)

    def records(self) -> list[ExpectedRecord]:
        """The records to show the merchant: the TXT, then the CNAME or the addresses."""
        records = [
            ExpectedRecord(
                self.challenge_name, "TXT", self.challenge_value, "proves you control the name"
            ),
            ExpectedRecord(self.hostname, "CNAME", self.cname_target, "routes to the storefront"),
        ]
        for address in self.gateway_addresses:
            kind = "AAAA" if ":" in address else "A"
            records.append(
                ExpectedRecord(self.hostname, kind, address, "instead of the CNAME (apex names)")
            )
        return records


@dataclass(frozen=True)
class ConditionRecord:
    """A Kubernetes-style condition of a claim (status "True", "False" or "Unknown")."""

    type: str
    status: str
    reason: str
    message: str
    last_transition_time: datetime | None = None


@dataclass(frozen=True)
class DomainClaim:
    """One claim of a hostname by a tenant, as stored."""

    claim_id: str
    tenant_id: str
    hostname: str
    storefront_id: str
    state: str
    challenge_name: str
    challenge_value: str
    expected_records: list[ExpectedRecord]
    observed: list[DnsAnswer]
    conditions: list[ConditionRecord]
    created_at: datetime
    updated_at: datetime
    created_by: str
    workflow_id: str
    checks: int = 0
    next_check_at: datetime | None = None
    verified_at: datetime | None = None
    released_at: datetime | None = None
    cooldown_until: datetime | None = None


@dataclass(frozen=True)
class NewDomainClaim:
    """What a new claim starts with."""

    claim_id: str
    tenant_id: str
    hostname: str
    storefront_id: str
    challenge_name: str
    challenge_value: str
    expected_records: list[ExpectedRecord]
    created_by: str
    workflow_id: str
