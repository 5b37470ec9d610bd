"""Certificates of domain mappings as the cloud store keeps them, and when to renew them.

Domain room: pure records and rules, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CERT_ORDERING = "ordering"
CERT_ISSUED = "issued"
CERT_SERVING = "serving"
CERT_REPLACED = "replaced"
CERT_REMOVED = "removed"
CERT_STATES = (CERT_ORDERING, CERT_ISSUED, CERT_SERVING, CERT_REPLACED, CERT_REMOVED)


@dataclass(frozen=True)
class DomainCertificate:
    """One certificate order of a hostname; the key is sealed (encrypted) at rest."""

    order_key: str
    hostname: str
    tenant_id: str
    state: str
    key_sealed: bytes
    order_url: str | None
    fullchain_pem: str | None
    serial_hex: str | None
    not_before: datetime | None
    not_after: datetime | None
    created_at: datetime
    revoked_at_ca: bool = False


def renew_at(not_before: datetime, not_after: datetime, ari_start: datetime | None) -> datetime:
    """Two thirds into the certificate's lifetime, or the CA's ARI window start when offered
    and earlier-or-equal to expiry."""
    if ari_start is not None and ari_start < not_after:
        return ari_start
    return not_before + (not_after - not_before) * 2 / 3
