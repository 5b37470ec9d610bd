"""Certificate renewal over mTLS at two thirds of the lifetime, with the same key.

Talks to the gateway's control endpoint (RenewCertificate); replaces `identity/site.crt`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import grpc
from cryptography.hazmat.primitives import serialization

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.identity.certificates import CertificateFacts, check_site_certificate
from edge_agent.identity.certificates import load_certificate as _load
from edge_agent.identity.current import SiteIdentity, load_identity
from edge_agent.identity.files import PRIVATE_MODE, write_atomic
from edge_agent.identity.keys import build_csr
from edge_agent.transport import control_stub, tls_channel, unreachable
from shared.errors import CommerceError, IdentityError
from shared.grpc_status import IDENTITY_REJECTED

logger = logging.getLogger(__name__)


async def renew_certificate(
    identity: SiteIdentity, *, rpc_timeout: float = 15.0
) -> CertificateFacts:
    """Ask the cloud for a fresh certificate for the same key; store it atomically."""
    record = identity.record
    csr_pem = build_csr(identity.key, identity.site_id)
    channel = tls_channel(
        record.cloud_host,
        record.control_port,
        identity.ca_pem,
        key_pem=identity.key_pem,
        certificate_pem=identity.certificate_pem,
    )
    async with channel:
        stub = control_stub(channel)
        try:
            response: edge_pb2.RenewCertificateResponse = await stub.RenewCertificate(
                edge_pb2.RenewCertificateRequest(csr_pem=csr_pem), timeout=rpc_timeout
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in IDENTITY_REJECTED:
                raise IdentityError(
                    f"the cloud refused to renew the certificate of site {identity.site_id!r}: "
                    f"{exc.details() or exc.code().name}; the site may be revoked, ask cloud "
                    "operations"
                ) from exc
            raise unreachable(exc, "certificate renewal", record.control_target()) from exc
    ca = _load(identity.ca_pem, "the pinned CA")
    cert = check_site_certificate(
        response.certificate_pem, ca=ca, key=identity.key, site_id=identity.site_id
    )
    write_atomic(
        identity.paths.certificate, cert.public_bytes(serialization.Encoding.PEM), PRIVATE_MODE
    )
    facts = CertificateFacts.of(cert)
    logger.info(
        "renewed certificate of site %s: serial %s valid until %s",
        identity.site_id,
        facts.serial_hex,
        facts.not_after.isoformat(),
    )
    return facts


class RenewalTask:
    """Checks every `check_seconds` whether the certificate is due, and renews it when it is."""

    def __init__(
        self,
        data_dir: Path,
        *,
        check_seconds: float,
        timeout: float,
        on_renewed: Callable[[CertificateFacts], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._data_dir = data_dir
        self._check_seconds = check_seconds
        self._timeout = timeout
        self._on_renewed = on_renewed
        self._clock = clock

    async def check_once(self) -> CertificateFacts | None:
        """Renew when due; the new certificate's facts, or None when nothing was done."""
        identity = load_identity(self._data_dir)
        if not identity.certificate.due_for_renewal(self._clock()):
            return None
        logger.info(
            "certificate serial %s passed two thirds of its lifetime (due %s); renewing",
            identity.certificate.serial_hex,
            identity.certificate.renew_at().isoformat(),
        )
        facts = await renew_certificate(identity, rpc_timeout=self._timeout)
        self._on_renewed(facts)
        return facts

    async def run(self, stopping: asyncio.Event) -> None:
        """Check now, then every `check_seconds`, until `stopping` is set."""
        while not stopping.is_set():
            try:
                await self.check_once()
            except CommerceError as exc:
                logger.error("certificate renewal failed, will retry: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self._check_seconds)
