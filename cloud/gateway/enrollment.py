"""Discovery and enrollment: the trust bundle, and first certificates for bootstrap tokens.

Gateway room: checks tokens and CSRs, asks the CA to sign, records through the store,
then tells the provisioning workflow. Refusals say what was wrong and what to do.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2
from cloud.adapters.pki import (
    CertificateAuthority,
    CsrRejected,
    IssuedCertificate,
    parse_site_csr,
)
from cloud.adapters.store.errors import TokenRejected
from cloud.adapters.store.records import NewCertificate
from cloud.adapters.tokens import MalformedToken, parse_token, token_hash
from cloud.gateway.codec import MalformedFrame, refuse_malformed, service_handler
from cloud.gateway.ports import WorkflowNotifier
from cloud.ports import StorePort
from shared.grpc_status import IDENTITY_REFUSED
from shared.timestamps import to_timestamp

logger = logging.getLogger(__name__)


_TOKEN_REFUSALS = {
    "unknown": "bootstrap token is not recognised; ask cloud ops for the site's current token "
    "(commerce-cloud sites token SITE_ID)",
    "expired": "bootstrap token has expired; ask cloud ops to provision the site again for a new "
    "token",
    "revoked": "bootstrap token was revoked (the site was re-provisioned or revoked); "
    "ask cloud ops for the current token",
    "used_by_other_key": "bootstrap token was already used by another key; a token enrolls one "
    "store server once. Ask cloud ops to re-provision the site if this server replaces it",
}


def certificate_record(issued: IssuedCertificate, site_id: str) -> NewCertificate:
    """What the store keeps of a certificate the CA just signed for `site_id`."""
    return NewCertificate(
        serial=issued.serial,
        site_id=site_id,
        pem=issued.pem,
        public_key_sha256=issued.public_key_sha256,
        not_before=issued.not_before,
        not_after=issued.not_after,
    )


class DiscoveryServicer:
    """Serves the CA certificate and ports; public data, pinned by fingerprint on the agent."""

    def __init__(self, ca: CertificateAuthority, enroll_port: int, control_port: int) -> None:
        self._response = edge_pb2.GetTrustBundleResponse(
            ca_certificate_pem=ca.ca_certificate_pem(),
            enroll_port=enroll_port,
            control_port=control_port,
        )

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return service_handler(
            edge_pb2.DESCRIPTOR.services_by_name["EdgeDiscoveryService"],
            {"GetTrustBundle": self.get_trust_bundle},
        )

    async def get_trust_bundle(
        self, request: object, context: grpc.aio.ServicerContext[Any, Any]
    ) -> edge_pb2.GetTrustBundleResponse:
        await refuse_malformed(context, request)
        return self._response


class EnrollmentServicer:
    """Exchanges a one-time bootstrap token and a CSR for the site's certificate."""

    def __init__(
        self,
        store: StorePort,
        ca: CertificateAuthority,
        notifier: WorkflowNotifier,
        lifetime: timedelta,
    ) -> None:
        self._store = store
        self._ca = ca
        self._notifier = notifier
        self._lifetime = lifetime

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return service_handler(
            edge_pb2.DESCRIPTOR.services_by_name["EdgeEnrollmentService"], {"Enroll": self.enroll}
        )

    async def enroll(
        self,
        request: edge_pb2.EnrollRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> edge_pb2.EnrollResponse:
        await refuse_malformed(context, request)
        assert isinstance(request, edge_pb2.EnrollRequest)
        try:
            token_site, token_id = parse_token(request.bootstrap_token)
            csr = parse_site_csr(request.csr_pem)
        except (MalformedToken, CsrRejected) as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if request.site_id and request.site_id != token_site:
            await context.abort(
                IDENTITY_REFUSED,
                f"the bootstrap token was issued for site {token_site}, not {request.site_id}",
            )
        if csr.site_id != token_site:
            await context.abort(
                IDENTITY_REFUSED,
                f"the CSR asks for site {csr.site_id} but the bootstrap token was issued for "
                f"site {token_site}; enroll with the token of site {csr.site_id}",
            )
        token = await asyncio.to_thread(
            self._store.tokens.get_by_hash, token_hash(request.bootstrap_token)
        )
        if token is None or token.token_id != token_id or token.site_id != token_site:
            await context.abort(IDENTITY_REFUSED, _TOKEN_REFUSALS["unknown"])
        now = datetime.now(UTC)
        issued = self._ca.sign_site_certificate(csr, self._lifetime, now)
        try:
            record = await asyncio.to_thread(
                self._store.certificates.enroll,
                token.token_id,
                certificate_record(issued, token.site_id),
                now,
            )
        except TokenRejected as exc:
            logger.warning("enrollment for site %s refused: %s", token_site, exc.reason)
            await context.abort(IDENTITY_REFUSED, _TOKEN_REFUSALS.get(exc.reason, str(exc)))
        logger.info("site %s enrolled with certificate %s", record.site_id, record.serial)
        await self._notifier.enrollment_completed(
            token.workflow_id,
            store_site_pb2.EnrollmentCompleted(
                site_id=record.site_id,
                certificate_serial=record.serial,
                public_key_sha256=record.public_key_sha256,
                enrolled_at=to_timestamp(now),
            ),
        )
        return edge_pb2.EnrollResponse(
            site_id=record.site_id,
            certificate_pem=record.pem,
            ca_certificate_pem=self._ca.ca_certificate_pem(),
            not_after=to_timestamp(record.not_after),
        )
