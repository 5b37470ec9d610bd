"""Storefront custom domains for ops and tenants: claim, status, list, audit, recheck.

Service room: receives its ports (claims, audit log, verification runs, DNS lookups, the
challenge secret) from a composition root; builds no adapter. Part of the ops CLI's
`domains` group; provisioning and revocation add their own methods beside these.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import domains_pb2
from cloud.adapters.store.records import AuditRecord
from cloud.domains.challenge import challenge_name, challenge_value
from cloud.domains.config import DomainConfig
from cloud.domains.hostnames import InvalidHostname, normalize_hostname
from cloud.domains.ports import DnsLookupPort, DomainClaimsPort
from cloud.domains.records import (
    CLAIM_PENDING,
    DnsAnswer,
    DomainClaim,
    DomainExpectations,
    ExpectedRecord,
    NewDomainClaim,
    audit_subject,
)
from cloud.ports import AuditPort
from shared.errors import CommerceError, InvalidInput, NotFound

__all__ = [
    "ClaimStatusView",
    "DomainService",
    "DomainVerificationRuns",
    "VerificationNotStarted",
]

logger = logging.getLogger(__name__)


class VerificationNotStarted(CommerceError):
    """The claim is stored but its verification run could not start; claiming again resumes it."""


class DomainVerificationRuns(Protocol):
    """VerifyDomainClaim runs, one per hostname."""

    async def start(self, request: domains_pb2.VerifyDomainClaimInput) -> str: ...

    async def recheck(self, hostname: str, requested_by: str) -> None: ...

    async def stop(self, hostname: str, reason: str) -> None: ...


@dataclass(frozen=True)
class RecordNow:
    """One record the merchant must set, beside what DNS answers for it now."""

    name: str
    type: str
    value: str
    purpose: str
    answers_now: str


@dataclass(frozen=True)
class ClaimStatusView:
    claim: DomainClaim
    records: list[RecordNow]


def _answers_now(record: ExpectedRecord, answers: dict[tuple[str, str], DnsAnswer]) -> str:
    if record.type == "TXT":
        answer = answers.get((record.name, "TXT"))
        return answer.describe() if answer else "-"
    a, aaaa = answers.get((record.name, "A")), answers.get((record.name, "AAAA"))
    if record.type == "CNAME":
        chain = (a.cname_chain if a else []) or (aaaa.cname_chain if aaaa else [])
        return " -> ".join(chain) if chain else "no CNAME"
    answer = a if record.type == "A" else aaaa
    return answer.describe() if answer else "-"


class DomainService:
    """Claims of storefront hostnames and what their DNS shows."""

    def __init__(
        self,
        claims: DomainClaimsPort,
        audit: AuditPort,
        runs: DomainVerificationRuns,
        dns: DnsLookupPort,
        config: DomainConfig,
        challenge_secret: Callable[[], bytes],
        *,
        actor: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._claims = claims
        self._audit = audit
        self._runs = runs
        self._dns = dns
        self._config = config
        self._secret = challenge_secret
        self._actor = actor
        self._clock = clock

    def normalize(self, hostname: str) -> str:
        """The claimable form of `hostname`, or `InvalidHostname`."""
        return normalize_hostname(hostname, self._config.platform_domains)

    async def claim(
        self,
        tenant_id: str,
        hostname: str,
        storefront_id: str,
        *,
        override_reason: str | None = None,
    ) -> DomainClaim:
        """Claim `hostname` for the tenant's storefront and start verifying it.

        Refusals: `InvalidHostname` (bad name), `HostnameUnavailable` (another tenant holds
        it or its cooldown runs; says until when). Both are in the audit log.
        """
        for what, value in (("tenant id", tenant_id), ("storefront id", storefront_id)):
            if not value or not value.strip() or len(value) > 128:
                raise InvalidInput(f"{what} {value!r} must be 1 to 128 characters")
        try:
            name = self.normalize(hostname)
        except InvalidHostname as refused:
            await asyncio.to_thread(
                self._audit.record,
                self._actor,
                "domain.claim_refused",
                audit_subject(hostname.strip().lower()[:200]),
                {"tenant_id": tenant_id, "reason": "InvalidHostname", "message": str(refused)},
            )
            raise
        if override_reason is not None and not override_reason.strip():
            raise InvalidInput("an override needs a reason (e.g. a ticket number)")
        claim_id = "dc-" + uuid.uuid4().hex[:20]
        secret = await asyncio.to_thread(self._secret)  # read from disk on first use
        expect = DomainExpectations(
            hostname=name,
            challenge_name=challenge_name(name),
            challenge_value=challenge_value(secret, tenant_id, claim_id, name),
            cname_target=self._config.cname_target,
            gateway_addresses=list(self._config.gateway_addresses),
        )
        new = NewDomainClaim(
            claim_id=claim_id,
            tenant_id=tenant_id,
            hostname=name,
            storefront_id=storefront_id,
            challenge_name=expect.challenge_name,
            challenge_value=expect.challenge_value,
            expected_records=expect.records(),
            created_by=self._actor,
            workflow_id=f"verify-domain-claim/{name}",
        )
        outcome = await asyncio.to_thread(
            self._claims.claim, new, self._clock(), override_reason=override_reason
        )
        claim = outcome.claim
        if outcome.created and override_reason is not None:
            await self._runs.stop(name, f"hostname taken over by override: {override_reason}")
        if claim.state == CLAIM_PENDING:
            await self._start(claim)
        return claim

    async def _start(self, claim: DomainClaim) -> None:
        try:
            await self._runs.start(
                domains_pb2.VerifyDomainClaimInput(
                    tenant_id=claim.tenant_id,
                    storefront_id=claim.storefront_id,
                    hostname=claim.hostname,
                    challenge_token=claim.challenge_value,
                    claim_id=claim.claim_id,
                    check_intervals_seconds=self._config.check_intervals_seconds,
                    deadline_seconds=self._config.verify_deadline_seconds,
                )
            )
        except Exception as exc:
            raise VerificationNotStarted(
                f"the claim {claim.claim_id} of {claim.hostname} is recorded, but its DNS "
                f"verification could not start ({exc}); run the same `domains claim` again once "
                "Temporal is reachable: it resumes this claim"
            ) from exc

    async def _current(self, hostname: str) -> DomainClaim:
        name = self.normalize(hostname)
        claim = await asyncio.to_thread(self._claims.current, name)
        if claim is None:
            raise NotFound(
                f"no claim of {name}; claim it with `commerce-cloud domains claim {name} "
                "--tenant <tenant> --storefront <storefront>`"
            )
        return claim

    async def status(self, hostname: str, *, look_up: bool = True) -> ClaimStatusView:
        """The claim, and each record to set beside what DNS answers for it now."""
        claim = await self._current(hostname)
        answers: dict[tuple[str, str], DnsAnswer] = {(a.name, a.rdtype): a for a in claim.observed}
        if look_up:
            observation = await self._dns.observe(claim.hostname, claim.challenge_name)
            answers = {(a.name, a.rdtype): a for a in observation.answers()}
        records = [
            RecordNow(r.name, r.type, r.value, r.purpose, _answers_now(r, answers))
            for r in claim.expected_records
        ]
        return ClaimStatusView(claim=claim, records=records)

    async def recheck(self, hostname: str) -> DomainClaim:
        """Have the claim's verification check DNS now."""
        claim = await self._current(hostname)
        if claim.state != CLAIM_PENDING:
            raise InvalidInput(
                f"the claim of {claim.hostname} is {claim.state}; only a pending claim is checked"
            )
        await self._runs.recheck(claim.hostname, self._actor)
        return claim

    async def list(self, tenant_id: str | None = None) -> list[DomainClaim]:
        return await asyncio.to_thread(self._claims.list, tenant_id)

    async def audit(self, hostname: str, limit: int = 200) -> builtins.list[AuditRecord]:
        """The hostname's audit entries, oldest first."""
        name = self.normalize(hostname)
        rows = await asyncio.to_thread(self._audit.list, audit_subject(name), limit)
        return list(reversed(rows))
