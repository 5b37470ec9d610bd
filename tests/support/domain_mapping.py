"""Test support: the cloud settings and steps that map a hostname against the real Pebble,
pebble-challtestsrv and nginx fixtures (shared by the end-to-end tests, the history recorder
and the benchmark).

Test room: builds config overrides and drives the domain service and workflows through the
given stack; starts nothing itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client

from ameide_core_proto.process.commerce.v1 import domains_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import DomainWorkflowServiceClient
from cloud.adapters.temporal_domains import verify_workflow_id
from cloud.composition.domain_assembly import domain_service
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient
from tests.support.nginx import NginxHome, Storefront
from tests.support.pebble import Pebble
from tests.support.stack import Stack

GATEWAY = "127.0.0.1"


def domains_overrides(challtestsrv: ChallTestSrv) -> dict[str, Any]:
    """`[domains]` settings: DNS answered by challtestsrv, the gateway on loopback."""
    return {
        "dns_resolvers": [challtestsrv.dns_server],
        "dns_timeout_seconds": 2,
        "cname_target": "edge.storefront.localhost",
        "gateway_addresses": [GATEWAY],
        "platform_domains": ["storefront.localhost"],
        "check_intervals_seconds": [1],
    }


def mapping_overrides(
    challtestsrv: ChallTestSrv, pebble: Pebble, nginx: NginxHome, storefront: Storefront
) -> dict[str, Any]:
    """`[domain_mapping]` settings: Pebble as the CA, the fixture nginx as the gateway."""
    return {
        "acme_directory_url": pebble.directory_url,
        "acme_ca_bundle": str(pebble.ca_bundle),
        "caa_identity": "pebble.test",
        "webroot": str(nginx.webroot),
        "nginx_binary": str(nginx.binary),
        "nginx_main_config": str(nginx.config),
        "nginx_prefix": str(nginx.prefix),
        "nginx_pid_file": str(nginx.pid_file),
        "nginx_sites_dir": str(nginx.sites_dir),
        "nginx_certs_dir": str(nginx.certs_dir),
        "https_listen": f"127.0.0.1:{nginx.https_port}",
        "probe_host": GATEWAY,
        "probe_port": nginx.https_port,
        "default_storefront_upstream": storefront.url,
        "dns01_publisher": "challtestsrv",
        "challtestsrv_url": challtestsrv.client.management_url,
    }


def _given(client: Client) -> Callable[[], Awaitable[Client]]:
    async def connected() -> Client:
        return client

    return connected


async def verified_claim(
    stack: Stack, dns: ChallTestSrvClient, hostname: str, tenant: str = "tenant-a"
) -> None:
    """Claim `hostname` for `tenant` with DNS already right, and wait until it is verified."""
    service = domain_service(stack.config, stack.store, _given(stack.client), actor="ops:test")
    claim = await service.claim(tenant, hostname, f"{tenant}-web")
    await dns.set_txt(claim.challenge_name, claim.challenge_value)
    await dns.set_a(hostname, [GATEWAY])
    client = DomainWorkflowServiceClient(stack.client)
    handle = client.get_verify_domain_claim_handle(verify_workflow_id(hostname))
    result = await asyncio.wait_for(handle.result(), timeout=120)
    if not result.verified:
        raise AssertionError(f"{hostname} did not verify: {result}")


async def provision(
    stack: Stack, hostname: str, tenant: str = "tenant-a"
) -> domains_pb2.ProvisionDomainMappingResult:
    """Run ProvisionDomainMapping for `hostname` and return its result."""
    client = DomainWorkflowServiceClient(stack.client)
    handle = await client.start_provision_domain_mapping(
        domains_pb2.ProvisionDomainMappingInput(
            tenant_id=tenant, storefront_id=f"{tenant}-web", hostname=hostname
        )
    )
    return await asyncio.wait_for(handle.result(), timeout=300)


async def revoke(
    stack: Stack, hostname: str, tenant: str = "tenant-a", reason: str = "moved"
) -> domains_pb2.RevokeDomainMappingResult:
    """Run RevokeDomainMapping for `hostname` and return its result."""
    client = DomainWorkflowServiceClient(stack.client)
    handle = await client.start_revoke_domain_mapping(
        domains_pb2.RevokeDomainMappingInput(
            tenant_id=tenant, hostname=hostname, requested_by="ops:alice", reason=reason
        )
    )
    return await asyncio.wait_for(handle.result(), timeout=120)
