"""Activities of VerifyDomainClaim: DNS checks of a claim, and its verified or failed end.

Activity room: asks DNS through the lookup port and writes the claim, its audit entries and
the DomainVerified fact through the store ports it is given. Store errors stay retryable
(Temporal retries them); a claim that does not exist (`UnknownDomainClaim`) or that an
override or release ended before it verified (`ClaimNoLongerPending`) fails for good.
DNS failures are not errors here: they are answers (SERVFAIL, timeout) that the check's
conditions report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from cloud.activities.blocking import BlockingPools
from cloud.activities.domain_messages import (
    CheckDomainClaim,
    DomainCheckOutcome,
    DomainClaimEnded,
    FailDomainClaim,
    RecordDomainVerified,
)
from cloud.activities.facts import append_fact
from cloud.activities.messages import RecordedFact
from cloud.domains.config import DomainConfig
from cloud.domains.evaluation import PROPAGATION_PENDING, evaluate
from cloud.domains.ports import DnsLookupPort, DomainClaimsPort
from cloud.domains.records import (
    CLAIM_VERIFIED,
    ConditionRecord,
    DomainClaim,
    DomainExpectations,
)
from cloud.ports import FactsPort
from shared.errors import NotFound

logger = logging.getLogger(__name__)

UNKNOWN_DOMAIN_CLAIM = "UnknownDomainClaim"
CLAIM_NO_LONGER_PENDING = "ClaimNoLongerPending"


def expectations_for(claim: DomainClaim, config: DomainConfig) -> DomainExpectations:
    """What `claim`'s DNS must show under `config`."""
    return DomainExpectations(
        hostname=claim.hostname,
        challenge_name=claim.challenge_name,
        challenge_value=claim.challenge_value,
        cname_target=config.cname_target,
        gateway_addresses=list(config.gateway_addresses),
        cdn_cidrs=list(config.cdn_cidrs),
        cdn_cname_suffixes=list(config.cdn_cname_suffixes),
    )


def _with_schedule(
    conditions: list[ConditionRecord], next_check_at: datetime | None
) -> list[ConditionRecord]:
    """PropagationPending says when the next check is, or that checking stopped."""
    out = []
    for c in conditions:
        if c.type == PROPAGATION_PENDING and c.status == "True":
            when = (
                f"next check at {next_check_at:%Y-%m-%d %H:%M:%S} UTC"
                if next_check_at is not None
                else "the deadline has passed: no more checks"
            )
            c = ConditionRecord(c.type, c.status, c.reason, f"{c.message}; {when}")
        out.append(c)
    return out


class DomainClaimActivities:
    """Side effects of claim verification."""

    def __init__(
        self,
        claims: DomainClaimsPort,
        facts: FactsPort,
        dns: DnsLookupPort,
        config: DomainConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pools: BlockingPools | None = None,
    ) -> None:
        self._pools = pools or BlockingPools.sized()
        self._claims = claims
        self._facts = facts
        self._dns = dns
        self._config = config
        self._clock = clock

    async def _claim(self, claim_id: str) -> DomainClaim:
        claim = await self._pools.store(self._claims.get, claim_id)
        if claim is None:
            raise ApplicationError(
                f"domain claim {claim_id!r} does not exist in the cloud store; claim the "
                "hostname again with `commerce-cloud domains claim`",
                type=UNKNOWN_DOMAIN_CLAIM,
                non_retryable=True,
            )
        return claim

    @activity.defn(name="CheckDomainClaim")
    async def check_domain_claim(self, req: CheckDomainClaim) -> DomainCheckOutcome:
        """Ask DNS for the claim's records, store what was seen and the conditions."""
        claim = await self._claim(req.claim_id)
        expect = expectations_for(claim, self._config)
        observation = await self._dns.observe(claim.hostname, claim.challenge_name)
        evaluation = evaluate(observation, expect)
        conditions = (
            evaluation.conditions
            if evaluation.verified
            else _with_schedule(evaluation.conditions, req.next_check_at)
        )
        try:
            stored = await self._pools.store(
                self._claims.record_check,
                claim.claim_id,
                observation.answers(),
                conditions,
                None if evaluation.verified else req.next_check_at,
                observation.observed_at,
                actor=f"verify-domain-claim ({req.trigger})",
            )
        except NotFound as exc:
            raise ApplicationError(str(exc), type=UNKNOWN_DOMAIN_CLAIM, non_retryable=True) from exc
        logger.info(
            "claim %s (%s): verified=%s unanswered=%s",
            claim.claim_id,
            claim.hostname,
            evaluation.verified,
            evaluation.unanswered,
        )
        return DomainCheckOutcome(
            verified=evaluation.verified,
            unanswered=evaluation.unanswered,
            conditions=conditions,
            observed=observation.answers(),
            claim_state=stored.state,
            tenant_id=claim.tenant_id,
            storefront_id=claim.storefront_id,
            hostname=claim.hostname,
        )

    @activity.defn(name="RecordDomainVerified")
    async def record_domain_verified(self, req: RecordDomainVerified) -> RecordedFact:
        """Mark the claim verified (audited) and append its DomainVerified fact once."""
        await self._claim(req.claim_id)
        claim = await self._pools.store(self._claims.mark_verified, req.claim_id, self._clock())
        if claim.state != CLAIM_VERIFIED:
            raise ApplicationError(
                f"the claim {claim.claim_id} of {claim.hostname} became {claim.state} before it "
                "verified (an override or a release); no DomainVerified is recorded",
                type=CLAIM_NO_LONGER_PENDING,
                non_retryable=True,
            )
        return await self._pools.store(append_fact, self._facts, req.fact)

    @activity.defn(name="FailDomainClaim")
    async def fail_domain_claim(self, req: FailDomainClaim) -> DomainClaimEnded:
        """The deadline passed: the claim fails (audited) and the hostname is free again."""
        await self._claim(req.claim_id)
        claim = await self._pools.store(
            self._claims.mark_failed, req.claim_id, req.conditions, self._clock(), req.reason
        )
        return DomainClaimEnded(claim_id=claim.claim_id, state=claim.state)
