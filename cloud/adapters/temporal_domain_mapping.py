"""Temporal adapter of the mapping service: starts ProvisionDomainMapping and
RevokeDomainMapping and waits for their results; starts a mapping's RenewDomainMapping.

Adapter room: talks to Temporal through the generated typed client; nothing else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from ameide_core_proto.process.commerce.v1 import domains_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import DomainWorkflowServiceClient


class TemporalDomainMappingRuns:
    """Starts the mapping workflows on the configured Temporal and waits for their results."""

    def __init__(self, connect: Callable[[], Awaitable[Client]]) -> None:
        self._connect = connect

    async def provision(
        self, request: domains_pb2.ProvisionDomainMappingInput
    ) -> domains_pb2.ProvisionDomainMappingResult:
        client = DomainWorkflowServiceClient(await self._connect())
        handle = await client.start_provision_domain_mapping(request)
        return await handle.result()

    async def revoke(
        self, request: domains_pb2.RevokeDomainMappingInput
    ) -> domains_pb2.RevokeDomainMappingResult:
        client = DomainWorkflowServiceClient(await self._connect())
        handle = await client.start_revoke_domain_mapping(request)
        return await handle.result()

    async def start_renewal(self, tenant_id: str, storefront_id: str, hostname: str) -> bool:
        """Start the hostname's RenewDomainMapping (its id comes from the hostname); False
        when one already runs."""
        client = DomainWorkflowServiceClient(await self._connect())
        try:
            await client.start_renew_domain_mapping(
                domains_pb2.RenewDomainMappingInput(
                    tenant_id=tenant_id, storefront_id=storefront_id, hostname=hostname
                )
            )
        except WorkflowAlreadyStartedError:
            return False
        return True
