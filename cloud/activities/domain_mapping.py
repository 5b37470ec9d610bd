"""Activities of ProvisionDomainMapping and RevokeDomainMapping.

Activity room: methods on a class given its ports (claims, certificate store, ACME issuer, key
sealer, storefront gateway, HTTPS probe, DNS for CAA, facts). Blocking ports run in the named
thread pools of `cloud.activities.blocking` (store, CA).
Failures leave through `cloud.activities.acme_retries`, the one place that maps them to
Temporal retries.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from cloud.acme_outcomes import ACMEFailure
from cloud.activities.acme_retries import (
    DOMAIN_NOT_MAPPABLE,
    NOT_CONFIGURED,
    acme_application_error,
    gateway_application_error,
)
from cloud.activities.blocking import BlockingPools
from cloud.activities.domain_mapping_messages import (
    CertificateIssued,
    CertificatesRemoved,
    HostnameReleased,
    OrderCertificate,
    PlanRenewal,
    PreflightMapping,
    PreflightOutcome,
    RecordMappingFact,
    ReleaseHostname,
    RemoveCertificates,
    RenewalPlan,
    RenewalStarted,
    ServingVerified,
    StartRenewal,
    UnwireGateway,
    VerifyServing,
    WireGateway,
)
from cloud.activities.facts import append_fact
from cloud.activities.heartbeats import heartbeating
from cloud.adapters.acme import new_certificate_key
from cloud.domains.caa import check_caa
from cloud.domains.certificates import CERT_ISSUED, CERT_SERVING, DomainCertificate, renew_at
from cloud.domains.config import DomainConfig
from cloud.domains.gateway import (
    GatewayError,
    GatewayNotServing,
    GatewayRoute,
    StorefrontGateway,
)
from cloud.domains.mapping_config import DomainMappingConfig
from cloud.domains.mapping_ports import (
    CertificateIssuerPort,
    DomainCertificatesPort,
    HttpsProbePort,
    KeySealerPort,
    RenewalRunsPort,
)
from cloud.domains.ports import DnsLookupPort, DomainClaimsPort
from cloud.domains.records import CLAIM_VERIFIED
from cloud.ports import FactsPort

logger = logging.getLogger(__name__)

ACTOR = "provision-domain-mapping"


class DomainMappingActivities:
    """Side effects of mapping a verified hostname to its storefront, and of undoing it."""

    def __init__(
        self,
        *,
        claims: DomainClaimsPort,
        certificates: DomainCertificatesPort,
        issuer: CertificateIssuerPort,
        sealer: KeySealerPort,
        gateway: StorefrontGateway,
        probe: HttpsProbePort,
        dns: DnsLookupPort,
        facts: FactsPort,
        domains: DomainConfig,
        mapping: DomainMappingConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pools: BlockingPools | None = None,
        renewals: RenewalRunsPort | None = None,
    ) -> None:
        self._claims = claims
        self._certs = certificates
        self._issuer = issuer
        self._sealer = sealer
        self._gateway = gateway
        self._probe = probe
        self._dns = dns
        self._facts = facts
        self._domains = domains
        self._mapping = mapping
        self._clock = clock
        # Store calls and CA calls each run in a pool of their own, sized in [domain_mapping].
        self._pools = pools or BlockingPools.sized()
        self._renewals = renewals

    @activity.defn(name="PreflightDomainMapping")
    async def preflight_domain_mapping(self, req: PreflightMapping) -> PreflightOutcome:
        """The claim must be verified for this tenant; CAA must allow the CA (RFC 8659)."""
        claim = await self._pools.store(self._claims.current, req.hostname)
        if claim is None or claim.state != CLAIM_VERIFIED or claim.tenant_id != req.tenant_id:
            seen = "no claim" if claim is None else f"{claim.state} claim of {claim.tenant_id}"
            raise ApplicationError(
                f"{req.hostname} cannot be mapped for {req.tenant_id}: it needs a verified claim "
                f"of that tenant, found {seen}; run `commerce-cloud domains claim` and wait for "
                "`domains status` to show Verified",
                type=DOMAIN_NOT_MAPPABLE,
                non_retryable=True,
            )
        answers = await self._dns.caa_sets(req.hostname)
        decision = check_caa(
            req.hostname,
            answers,
            ca_domain=self._mapping.caa_identity,
            validation_method=self._mapping.challenge_method,
        )
        if not decision.decided:
            raise ApplicationError(decision.message, type="CAALookupFailed")
        return PreflightOutcome(
            may_order=decision.allowed,
            claim_id=claim.claim_id,
            upstream_url=self._mapping.upstream_for(claim.storefront_id or req.storefront_id),
            challenge_method=self._mapping.challenge_method,
            conditions=[decision.condition()],
        )

    @activity.defn(name="OrderDomainCertificate")
    async def order_domain_certificate(self, req: OrderCertificate) -> CertificateIssued:
        """Order (or resume, or find) the certificate of this order key; never orders twice."""
        if not self._mapping.acme_directory_url:
            raise ApplicationError(
                "domain_mapping.acme_directory_url is not set: name the ACME CA's directory in "
                "the [domain_mapping] config table, then provision again",
                type=NOT_CONFIGURED,
                non_retryable=True,
            )
        now = self._clock()
        row = await self._pools.store(self._certs.get, req.order_key)
        if row is not None and row.state in (CERT_ISSUED, CERT_SERVING):
            logger.info(
                "%s: certificate of %s already issued; not ordering again",
                req.hostname,
                req.order_key,
            )
            return _issued(row, newly_ordered=False)
        if row is None:
            sealed = self._sealer.seal(new_certificate_key())
            row = await self._pools.store(
                self._certs.start_order, req.order_key, req.hostname, req.tenant_id, sealed, now
            )
        key_pem = self._sealer.open(row.key_sealed)

        def remember(order_url: str) -> None:
            self._certs.set_order_url(req.order_key, order_url, self._clock())

        order = functools.partial(
            self._issuer.issue,
            req.hostname,
            key_pem=key_pem,
            method=req.challenge_method,
            resume_order_url=row.order_url,
            on_order=remember,
        )
        try:
            issued = await heartbeating(self._pools.acme(order))
        except ACMEFailure as failure:
            raise acme_application_error(failure, self._clock()) from failure
        stored = await self._pools.store(
            lambda: self._certs.mark_issued(
                req.order_key,
                fullchain_pem=issued.fullchain_pem,
                serial_hex=issued.serial_hex,
                not_before=issued.not_before,
                not_after=issued.not_after,
                at=self._clock(),
                actor=ACTOR,
            )
        )
        return _issued(stored, newly_ordered=True)

    @activity.defn(name="WireDomainGateway")
    async def wire_domain_gateway(self, req: WireGateway) -> None:
        """Serve the certificate of `order_key` for its hostname, routed to the storefront."""
        row = await self._issued_row(req.order_key)
        route = GatewayRoute(
            hostname=row.hostname,
            fullchain_pem=row.fullchain_pem or "",
            key_pem=self._sealer.open(row.key_sealed),
            upstream_url=req.upstream_url,
        )
        try:
            await heartbeating(self._gateway.change(upserts=[route]))
        except GatewayError as error:
            raise gateway_application_error(error) from error

    @activity.defn(name="VerifyDomainServing")
    async def verify_domain_serving(self, req: VerifyServing) -> ServingVerified:
        """From outside: the gateway presents this certificate for the hostname and the
        storefront answers; then the certificate is the one serving."""
        return await heartbeating(self._verify_serving(req))

    async def _verify_serving(self, req: VerifyServing) -> ServingVerified:
        mapping = self._mapping
        try:
            seen = await self._probe(req.hostname, mapping.probe_host, mapping.probe_port)
        except GatewayError as error:
            raise gateway_application_error(error) from error
        if seen.certificate_serial_hex != req.serial_hex or seen.status >= 500:
            raise gateway_application_error(
                GatewayNotServing(
                    f"https://{req.hostname}/ presents certificate {seen.certificate_serial_hex} "
                    f"with HTTP {seen.status}; expected {req.serial_hex} and the storefront's "
                    "answer (retrying while the gateway reloads)"
                )
            )
        row = await self._pools.store(self._certs.mark_serving, req.order_key, self._clock(), ACTOR)
        ari: datetime | None = None
        try:
            # A request to the CA: in the CA pool, never holding a store thread.
            ari = await self._pools.acme(
                self._issuer.renewal_window_start, row.fullchain_pem or ""
            )
        except ACMEFailure as failure:
            logger.warning(
                "%s: no renewal info (%s); renewing at two thirds", req.hostname, failure
            )
        assert row.not_before is not None and row.not_after is not None
        return ServingVerified(
            status=seen.status, renew_at=renew_at(row.not_before, row.not_after, ari)
        )

    @activity.defn(name="StartDomainRenewal")
    async def start_domain_renewal(self, req: StartRenewal) -> RenewalStarted:
        """Start the mapping's RenewDomainMapping, or leave the running one be."""
        if self._renewals is None:
            raise ApplicationError(
                "this worker has no Temporal client for starting renewals; run the domain "
                "activities in `commerce-cloud worker`",
                type=NOT_CONFIGURED,
                non_retryable=True,
            )
        started = await self._renewals.start_renewal(
            req.tenant_id, req.storefront_id, req.hostname
        )
        if not started:
            logger.info("renewal of %s already runs", req.hostname)
        return RenewalStarted(started=started)

    @activity.defn(name="PlanDomainRenewal")
    async def plan_domain_renewal(self, req: PlanRenewal) -> RenewalPlan:
        """When the served certificate of a still-held hostname is due (ARI, else 2/3)."""
        claim = await self._pools.store(self._claims.current, req.hostname)
        row = await self._pools.store(self._certs.serving, req.hostname)
        if (
            claim is None
            or claim.state != CLAIM_VERIFIED
            or claim.tenant_id != req.tenant_id
            or row is None
            or row.fullchain_pem is None
            or row.not_before is None
            or row.not_after is None
        ):
            return RenewalPlan(serving=False)
        ari: datetime | None = None
        if self._mapping.acme_directory_url:
            try:
                ari = await self._pools.acme(self._issuer.renewal_window_start, row.fullchain_pem)
            except ACMEFailure as failure:
                logger.warning("%s: no renewal info (%s)", req.hostname, failure)
        return RenewalPlan(
            serving=True,
            renew_at=renew_at(row.not_before, row.not_after, ari),
            upstream_url=self._mapping.upstream_for(claim.storefront_id or req.storefront_id),
            challenge_method=self._mapping.challenge_method,
            serial_hex=row.serial_hex or "",
        )

    @activity.defn(name="UnwireDomainGateway")
    async def unwire_domain_gateway(self, req: UnwireGateway) -> None:
        """Remove the hostname's route and certificate files from the gateway (reloaded)."""
        try:
            await self._gateway.change(removals=[req.hostname])
        except GatewayError as error:
            raise gateway_application_error(error) from error

    @activity.defn(name="RemoveDomainCertificates")
    async def remove_domain_certificates(self, req: RemoveCertificates) -> CertificatesRemoved:
        """Mark the hostname's certificates removed; revoke the served one at the CA if asked."""
        revoked = False
        if req.revoke_at_ca or self._mapping.revoke_at_ca:
            serving = await self._pools.store(self._certs.serving, req.hostname)
            if serving is not None and serving.fullchain_pem:
                try:
                    await self._pools.acme(self._issuer.revoke, serving.fullchain_pem)
                    revoked = True
                except ACMEFailure as failure:
                    if failure.problem_type != "alreadyRevoked":
                        raise acme_application_error(failure, self._clock()) from failure
                    revoked = True
        removed = await self._pools.store(
            lambda: self._certs.mark_removed(
                req.hostname, self._clock(), req.actor, revoked_at_ca=revoked, reason=req.reason
            )
        )
        return CertificatesRemoved(
            serials=[r.serial_hex for r in removed if r.serial_hex], revoked_at_ca=revoked
        )

    @activity.defn(name="ReleaseDomainHostname")
    async def release_domain_hostname(self, req: ReleaseHostname) -> HostnameReleased:
        """Release the tenant's claim into its cooldown (only that tenant may claim it again)."""
        now = self._clock()
        cooldown_until = now + timedelta(days=self._domains.cooldown_days)
        claim = await self._pools.store(self._claims.current, req.hostname)
        if claim is None or claim.tenant_id != req.tenant_id:
            # Already released (a retry) or never held: the cooldown stands as stored.
            logger.info("%s: no active claim of %s to release", req.hostname, req.tenant_id)
            return HostnameReleased(cooldown_until=cooldown_until)
        released = await self._pools.store(
            lambda: self._claims.release(
                claim.claim_id, now, cooldown_until, actor=req.actor, reason=req.reason
            )
        )
        return HostnameReleased(cooldown_until=released.cooldown_until or cooldown_until)

    @activity.defn(name="RecordDomainMappingFact")
    async def record_domain_mapping_fact(self, req: RecordMappingFact) -> None:
        await self._pools.store(append_fact, self._facts, req.fact)

    async def _issued_row(self, order_key: str) -> DomainCertificate:
        row = await self._pools.store(self._certs.get, order_key)
        if row is None or row.fullchain_pem is None:
            raise ApplicationError(
                f"certificate order {order_key!r} has no issued certificate in the store",
                type=DOMAIN_NOT_MAPPABLE,
                non_retryable=True,
            )
        return row


def _issued(row: DomainCertificate, *, newly_ordered: bool) -> CertificateIssued:
    assert row.serial_hex and row.not_before and row.not_after
    return CertificateIssued(
        order_key=row.order_key,
        serial_hex=row.serial_hex,
        not_before=row.not_before,
        not_after=row.not_after,
        newly_ordered=newly_ordered,
    )
