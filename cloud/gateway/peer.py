"""Who is calling: the site identity in an mTLS peer's certificate, checked against the store.

Gateway room: parses the peer's certificate and asks the store (in a thread) whether it is
usable. Every service on the control port (control, sync, bundles, realtime) authenticates
through one `SiteAuthenticator`, which keeps a positive answer for `recheck_seconds`
(`gateway_certificate_recheck_seconds`, 1 s by default; 0 asks the store on every call): a
certificate revoked meanwhile is refused by every service within that bound. The revocation
watch (sessions) also closes a revoked site's control stream within its poll interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
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


class RecentlyUsable:
    """Certificates found usable in the last `ttl_seconds`, by their PEM (bounded)."""

    def __init__(self, ttl_seconds: float = 1.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._until: dict[bytes, tuple[float, SitePeer]] = {}

    def get(self, pem: bytes) -> SitePeer | None:
        entry = self._until.get(pem)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, pem: bytes, peer: SitePeer) -> None:
        if self._ttl <= 0:
            return
        if len(self._until) >= self._max:
            self._until.clear()
        self._until[pem] = (time.monotonic() + self._ttl, peer)


class SiteAuthenticator:
    """The one place the control port's services learn who calls; built once per gateway."""

    def __init__(self, store: StorePort, recheck_seconds: float = 1.0) -> None:
        self._store = store
        self.recheck_seconds = recheck_seconds
        self._recent = RecentlyUsable(recheck_seconds)

    async def site(self, context: grpc.aio.ServicerContext[Any, Any]) -> SitePeer:
        """Return the calling site, or abort UNAUTHENTICATED saying why."""
        return await authenticate_site(context, self._store, self._recent)


async def authenticate_site(
    context: grpc.aio.ServicerContext[Any, Any],
    store: StorePort,
    recent: RecentlyUsable | None = None,
) -> SitePeer:
    """Return the calling site, or abort UNAUTHENTICATED saying why. With `recent`, a
    certificate found usable within its bound is not looked up again."""
    pems = list(context.auth_context().get("x509_pem_cert") or ())
    if not pems:
        await context.abort(
            IDENTITY_UNKNOWN,
            "no client certificate: enroll the store agent first (commerce-edge enroll)",
        )
    pem = pems[0]
    if recent is not None:
        known = recent.get(pem)
        if known is not None:
            return known
    try:
        cert = x509.load_pem_x509_certificate(pem)
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
    peer = SitePeer(site_id=site_id, serial=serial)
    if recent is not None:
        recent.put(pem, peer)
    return peer
