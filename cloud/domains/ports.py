"""Ports of storefront custom domains: the claim store and DNS lookups.

Port room: `typing.Protocol`s speaking the pure records of `cloud.domains.records`. The
composition roots hand in `CloudStore.domain_claims` and `cloud.adapters.dns.DnsResolver`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from cloud.domains.records import (
    ConditionRecord,
    DnsAnswer,
    DnsObservation,
    DomainClaim,
    NewDomainClaim,
)


class ClaimResult(Protocol):
    @property
    def claim(self) -> DomainClaim: ...

    @property
    def created(self) -> bool: ...


class DomainClaimsPort(Protocol):
    """Domain claims and their audit trail."""

    def get(self, claim_id: str) -> DomainClaim | None: ...

    def current(self, hostname: str) -> DomainClaim | None: ...

    def list(
        self, tenant_id: str | None = None, state: str | None = None, limit: int = 500
    ) -> list[DomainClaim]: ...

    def claim(
        self, new: NewDomainClaim, at: datetime, *, override_reason: str | None = None
    ) -> ClaimResult: ...

    def record_check(
        self,
        claim_id: str,
        observed: Sequence[DnsAnswer],
        conditions: Sequence[ConditionRecord],
        next_check_at: datetime | None,
        at: datetime,
        *,
        actor: str = ...,
    ) -> DomainClaim: ...

    def mark_verified(self, claim_id: str, at: datetime, *, actor: str = ...) -> DomainClaim: ...

    def mark_failed(
        self,
        claim_id: str,
        conditions: Sequence[ConditionRecord],
        at: datetime,
        reason: str,
        *,
        actor: str = ...,
    ) -> DomainClaim: ...

    def release(
        self, claim_id: str, at: datetime, cooldown_until: datetime, *, actor: str, reason: str
    ) -> DomainClaim: ...


class DnsLookupPort(Protocol):
    """DNS questions, answered as `DnsAnswer`s (failures included, never raised)."""

    async def lookup(self, name: str, rdtype: str) -> DnsAnswer: ...

    async def observe(self, hostname: str, challenge_name: str) -> DnsObservation: ...

    async def caa_sets(self, hostname: str) -> dict[str, DnsAnswer]: ...
