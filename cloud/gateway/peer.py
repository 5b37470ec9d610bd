"""Who is calling: the site identity in an mTLS peer's certificate, checked against the store."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from cryptography import x509

from cloud.ports import StorePort
from shared.errors import IdentityError
from shared.grpc_status import IDENTITY_UNKNOWN
from shared.identity import site_id_of_certificate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SitePeer:
    """An authenticated store agent."""

    site_id: str
    serial: str


async def authenticate_site(
    context: grpc.aio.ServicerContext[Any, Any], store: StorePort
) -> SitePeer:
    """Return the calling site, or abort UNAUTHENTICATED saying why."""
    pems = list(context.auth_context().get("x509_pem_cert") or [])
    if not pems:
        await context.abort(
            IDENTITY_UNKNOWN,
            "no client certificate: enroll the store agent first (commerce-edge enroll)",
        )
    try:
        cert = x509.load_pem_x509_certificate(pems[0])
        site_id = site_id_of_certificate(cert)
    except (ValueError, IdentityError) as exc:
        await context.abort(IDENTITY_UNKNOWN, f"client certificate unusable: {exc}")
    serial = format(cert.serial_number, "x")
    usable = await asyncio.to_thread(
        store.certificates.is_usable, serial, site_id, datetime.now(UTC)
    )
    if not usable:
        logger.warning("refused certificate %s of site %s (revoked or unknown)", serial, site_id)
        await context.abort(
            IDENTITY_UNKNOWN,
            f"certificate {serial} of site {site_id} is revoked or unknown; the site must be "
            "provisioned again and the agent re-enrolled",
        )
    return SitePeer(site_id=site_id, serial=serial)
