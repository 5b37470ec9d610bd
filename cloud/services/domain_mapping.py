"""What `domains provision` and `domains revoke` do: normalize the hostname, run the
mapping workflow through Temporal and hand back its result.

Service room: given a `DomainMappingRuns` port (`cloud.adapters.temporal_domain_mapping`)
and the domain settings; no I/O of its own.
"""

from __future__ import annotations

from typing import Protocol

from ameide_core_proto.process.commerce.v1 import domains_pb2
from cloud.domains.config import DomainConfig
from cloud.domains.hostnames import normalize_hostname
from shared.errors import InvalidInput


class DomainMappingRuns(Protocol):
    async def provision(
        self, request: domains_pb2.ProvisionDomainMappingInput
    ) -> domains_pb2.ProvisionDomainMappingResult: ...

    async def revoke(
        self, request: domains_pb2.RevokeDomainMappingInput
    ) -> domains_pb2.RevokeDomainMappingResult: ...


class DomainMappingService:
    """Provision and revoke mappings of verified hostnames."""

    def __init__(self, runs: DomainMappingRuns, settings: DomainConfig, *, actor: str) -> None:
        self._runs = runs
        self._settings = settings
        self._actor = actor

    def _hostname(self, raw: str) -> str:
        return normalize_hostname(raw, self._settings.platform_domains)

    async def provision(
        self, tenant_id: str, hostname: str, storefront_id: str
    ) -> domains_pb2.ProvisionDomainMappingResult:
        if not tenant_id.strip() or not storefront_id.strip():
            raise InvalidInput("--tenant and --storefront must not be empty")
        return await self._runs.provision(
            domains_pb2.ProvisionDomainMappingInput(
                tenant_id=tenant_id, storefront_id=storefront_id, hostname=self._hostname(hostname)
            )
        )

    async def revoke(
        self, tenant_id: str, hostname: str, reason: str
    ) -> domains_pb2.RevokeDomainMappingResult:
        if not reason.strip():
            raise InvalidInput("--reason must say why the mapping is revoked (it is audited)")
        return await self._runs.revoke(
            domains_pb2.RevokeDomainMappingInput(
                tenant_id=tenant_id,
                hostname=self._hostname(hostname),
                requested_by=self._actor,
                reason=reason,
            )
        )
