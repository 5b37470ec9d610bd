"""One input and one output dataclass per activity of ProvisionDomainMapping and
RevokeDomainMapping.

Pure data, imported by workflows; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cloud.domains.records import ConditionRecord


@dataclass(frozen=True)
class PreflightMapping:
    tenant_id: str
    hostname: str
    storefront_id: str


@dataclass(frozen=True)
class PreflightOutcome:
    # False: a condition (e.g. CAABlocked) says what the merchant must change.
    may_order: bool
    claim_id: str
    upstream_url: str
    challenge_method: str
    conditions: list[ConditionRecord] = field(default_factory=list)


@dataclass(frozen=True)
class OrderCertificate:
    # Chosen by the workflow: a retried or restarted order finds its row (key, order URL).
    order_key: str
    tenant_id: str
    hostname: str
    challenge_method: str


@dataclass(frozen=True)
class CertificateIssued:
    order_key: str
    serial_hex: str
    not_before: datetime
    not_after: datetime
    # False: the certificate was already in the store (a retry after a crash).
    newly_ordered: bool


@dataclass(frozen=True)
class WireGateway:
    order_key: str
    upstream_url: str


@dataclass(frozen=True)
class VerifyServing:
    order_key: str
    hostname: str
    serial_hex: str


@dataclass(frozen=True)
class ServingVerified:
    status: int
    renew_at: datetime


@dataclass(frozen=True)
class UnwireGateway:
    hostname: str


@dataclass(frozen=True)
class RemoveCertificates:
    hostname: str
    revoke_at_ca: bool
    actor: str
    reason: str


@dataclass(frozen=True)
class CertificatesRemoved:
    serials: list[str]
    revoked_at_ca: bool


@dataclass(frozen=True)
class ReleaseHostname:
    tenant_id: str
    hostname: str
    actor: str
    reason: str


@dataclass(frozen=True)
class HostnameReleased:
    cooldown_until: datetime


@dataclass(frozen=True)
class RecordMappingFact:
    # Serialized ProcessFact with its deterministic id.
    fact: bytes


@dataclass(frozen=True)
class StartRenewal:
    tenant_id: str
    storefront_id: str
    hostname: str


@dataclass(frozen=True)
class RenewalStarted:
    # False: the hostname's RenewDomainMapping already ran.
    started: bool


@dataclass(frozen=True)
class PlanRenewal:
    tenant_id: str
    hostname: str
    storefront_id: str


@dataclass(frozen=True)
class RenewalPlan:
    # False: the mapping is gone (revoked, or the claim is no longer the tenant's).
    serving: bool
    renew_at: datetime | None = None
    upstream_url: str = ""
    challenge_method: str = "http-01"
    serial_hex: str = ""
