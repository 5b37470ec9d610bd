"""Ports of domain mappings: certificate store, ACME issuer, key sealer, outside probe.

Port room: `typing.Protocol`s only. The composition root
(`cloud.composition.domain_mapping_worker`) hands in `CloudStore.domain_certificates`,
`cloud.adapters.acme.AcmeIssuer`, `cloud.adapters.sealed_keys.KeySealer`,
`cloud.adapters.https_probe.probe_https` and
`cloud.adapters.temporal_domain_mapping.TemporalDomainMappingRuns` (renewal starts).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from cloud.domains.certificates import DomainCertificate
from cloud.domains.gateway import ProbeResult


class DomainCertificatesPort(Protocol):
    def get(self, order_key: str) -> DomainCertificate | None: ...

    def serving(self, hostname: str) -> DomainCertificate | None: ...

    def start_order(
        self, order_key: str, hostname: str, tenant_id: str, key_sealed: bytes, at: datetime
    ) -> DomainCertificate: ...

    def set_order_url(self, order_key: str, order_url: str, at: datetime) -> None: ...

    def mark_issued(
        self,
        order_key: str,
        *,
        fullchain_pem: str,
        serial_hex: str,
        not_before: datetime,
        not_after: datetime,
        at: datetime,
        actor: str,
    ) -> DomainCertificate: ...

    def mark_serving(self, order_key: str, at: datetime, actor: str) -> DomainCertificate: ...

    def mark_removed(
        self, hostname: str, at: datetime, actor: str, *, revoked_at_ca: bool, reason: str
    ) -> list[DomainCertificate]: ...


class IssuedCertificateLike(Protocol):
    @property
    def fullchain_pem(self) -> str: ...

    @property
    def serial_hex(self) -> str: ...

    @property
    def not_before(self) -> datetime: ...

    @property
    def not_after(self) -> datetime: ...


class CertificateIssuerPort(Protocol):
    def issue(
        self,
        hostname: str,
        *,
        key_pem: bytes,
        method: str = ...,
        resume_order_url: str | None = ...,
        on_order: Callable[[str], None] | None = ...,
    ) -> IssuedCertificateLike: ...

    def renewal_window_start(self, fullchain_pem: str) -> datetime | None: ...

    def revoke(self, fullchain_pem: str, reason_code: int = ...) -> None: ...


class KeySealerPort(Protocol):
    def seal(self, key_pem: bytes) -> bytes: ...

    def open(self, sealed: bytes) -> bytes: ...


class HttpsProbePort(Protocol):
    async def __call__(self, hostname: str, host: str, port: int) -> ProbeResult: ...


class RenewalRunsPort(Protocol):
    async def start_renewal(self, tenant_id: str, storefront_id: str, hostname: str) -> bool:
        """Start the hostname's RenewDomainMapping; False when one already runs."""
        ...
