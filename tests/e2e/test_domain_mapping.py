"""End to end: ProvisionDomainMapping and RevokeDomainMapping against a real Pebble CA, real
pebble-challtestsrv DNS, a real nginx gateway with a storefront upstream, the real Temporal dev
server and the worker in this process.

A hostname is claimed and verified first (VerifyDomainClaim), then mapped: the check from
outside is an HTTPS request with the hostname as SNI, as a shopper's browser would make.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy

from ameide_core_proto.process.commerce.v1 import conditions_pb2, domains_pb2, facts_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import DomainWorkflowServiceClient
from cloud.adapters.https_probe import probe_https
from cloud.composition.domain_assembly import domain_service
from cloud.domains.errors import HostnameUnavailable
from cloud.domains.gateway import GatewayNotServing
from cloud.domains.records import audit_subject
from shared.timestamps import from_timestamp
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient
from tests.support.domain_mapping import (
    GATEWAY,
    domains_overrides,
    mapping_overrides,
    provision,
    revoke,
    verified_claim,
)
from tests.support.nginx import NginxHome, Storefront, running_nginx, running_storefront
from tests.support.pebble import Pebble, running_pebble
from tests.support.stack import Stack, cli, cloud_stack, eventually

pytestmark = pytest.mark.usefixtures("temporal_cli")

TRUE = conditions_pb2.CONDITION_STATUS_TRUE


@pytest.fixture(scope="module")
def nginx() -> Iterator[NginxHome]:
    with running_nginx() as home:
        yield home


@pytest.fixture(scope="module")
def pebble(challtestsrv: ChallTestSrv, nginx: NginxHome) -> Iterator[Pebble]:
    with running_pebble(dns_server=challtestsrv.dns_server, http01_port=nginx.http_port) as ca:
        yield ca


@pytest.fixture(scope="module")
async def storefront() -> AsyncIterator[Storefront]:
    async with running_storefront("acme-shoes") as running:
        yield running


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory,
    challtestsrv: ChallTestSrv,
    nginx: NginxHome,
    pebble: Pebble,
    storefront: Storefront,
) -> AsyncIterator[Stack]:
    domains = domains_overrides(challtestsrv)
    mapping = mapping_overrides(challtestsrv, pebble, nginx, storefront)
    data_dir = tmp_path_factory.mktemp("cloud")
    async with cloud_stack(data_dir, domains=domains, domain_mapping=mapping) as s:
        yield s


def _given(client: Client) -> Callable[[], Awaitable[Client]]:
    async def connected() -> Client:
        return client

    return connected


def _true(conditions: Any) -> dict[str, str]:
    return {c.type: c.reason for c in conditions if c.status == TRUE}


async def test_a_verified_hostname_is_served_over_https_with_its_own_certificate_then_revoked(
    stack: Stack, dns_records: ChallTestSrvClient, nginx: NginxHome, storefront: Storefront
) -> None:
    hostname = "www.acme-shoes.example"
    await verified_claim(stack, dns_records, hostname)

    result = await provision(stack, hostname)

    assert _true(result.conditions)["Serving"] == "CertificateServed", result
    assert "RenewalScheduled" in _true(result.conditions)
    seen = await probe_https(hostname, GATEWAY, nginx.https_port)
    assert seen.certificate_serial_hex == result.certificate_serial
    assert (seen.status, seen.body) == (200, storefront.answer_for(hostname))
    fact = stack.store.facts.latest(f"domain/{hostname}", "DomainMappingProvisioned")
    assert fact is not None
    provisioned = facts_pb2.ProcessFact.FromString(fact.payload).domain_mapping_provisioned
    assert provisioned.certificate_serial == result.certificate_serial
    serving = stack.store.domain_certificates.serving(hostname)
    assert serving is not None and b"PRIVATE KEY" not in serving.key_sealed

    revoked = await revoke(stack, hostname)

    cooldown = from_timestamp(revoked.cooldown_until) - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < cooldown <= timedelta(days=7)
    with pytest.raises(GatewayNotServing):
        for _ in range(50):  # until the reloaded workers refuse the name
            await probe_https(hostname, GATEWAY, nginx.https_port)
            await asyncio.sleep(0.1)
    assert hostname not in [p.stem for p in nginx.sites_dir.iterdir()]
    assert stack.store.domain_certificates.serving(hostname) is None
    assert stack.store.facts.latest(f"domain/{hostname}", "DomainMappingRevoked") is not None
    other = domain_service(stack.config, stack.store, _given(stack.client), actor="ops:test")
    with pytest.raises(HostnameUnavailable):
        await other.claim("tenant-b", hostname, "tenant-b-web")
    actions = [r.action for r in reversed(stack.store.audit.list(audit_subject(hostname)))]
    for action in ("domain.certificate_issued", "domain.mapping_serving", "domain.mapping_removed"):
        assert action in actions


async def test_caa_that_forbids_the_ca_orders_nothing_and_wires_nothing(
    stack: Stack, dns_records: ChallTestSrvClient, nginx: NginxHome
) -> None:
    hostname = "caa.acme-shoes.example"
    await verified_claim(stack, dns_records, hostname)
    await dns_records.set_caa(hostname, [("issue", "ca.other.example")])

    result = await provision(stack, hostname)

    conditions = _true(result.conditions)
    assert conditions["CAABlocked"] == "CAAForbidsCA"
    blocked = next(c for c in result.conditions if c.type == "CAABlocked")
    assert "ca.other.example" in blocked.message
    assert result.certificate_serial == ""
    assert f"{hostname}.conf" not in [p.name for p in nginx.sites_dir.iterdir()]


async def test_an_unverified_hostname_is_refused_with_what_to_do(stack: Stack) -> None:
    result = await provision(stack, "unclaimed.acme-shoes.example")

    serving = next(c for c in result.conditions if c.type == "Serving")
    assert serving.reason == "DomainNotMappable"
    assert "domains claim" in serving.message


async def test_the_cli_provisions_and_revokes_and_refuses_bad_input(
    stack: Stack, dns_records: ChallTestSrvClient, nginx: NginxHome, storefront: Storefront
) -> None:
    hostname = "cli.acme-shoes.example"
    await verified_claim(stack, dns_records, hostname)

    done = await asyncio.to_thread(
        cli, stack, "domains", "provision", hostname.upper(), "--tenant", "tenant-a",
        "--storefront", "tenant-a-web", "--json",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["hostname"] == hostname
    seen = await probe_https(hostname, GATEWAY, nginx.https_port)
    assert seen.certificate_serial_hex == result["certificate_serial"]
    assert seen.body == storefront.answer_for(hostname)

    bad = await asyncio.to_thread(
        cli, stack, "domains", "provision", "shop example.com", "--tenant", "tenant-a",
        "--storefront", "tenant-a-web",
    )  # fmt: skip
    assert bad.returncode == 2
    assert "shop example.com" in bad.stderr

    gone = await asyncio.to_thread(
        cli, stack, "domains", "revoke", hostname, "--tenant", "tenant-a", "--reason", "closed"
    )
    assert gone.returncode == 0, gone.stderr
    assert "tenant-a may claim it again until" in gone.stdout


async def test_renewal_serves_a_new_certificate_continues_as_new_and_stops_on_revoke(
    stack: Stack, dns_records: ChallTestSrvClient, nginx: NginxHome, storefront: Storefront
) -> None:
    hostname = "renew.acme-shoes.example"
    await verified_claim(stack, dns_records, hostname)
    first = await provision(stack, hostname)
    renewal = stack.client.get_workflow_handle(f"renew-domain-mapping/{hostname}")
    described = await renewal.describe()
    assert described.status == WorkflowExecutionStatus.RUNNING, "provisioning starts renewal"

    # Ops asks for a renewal now (the scheduled one is two thirds into the lifetime).
    client = DomainWorkflowServiceClient(stack.client)
    await client.start_renew_domain_mapping(
        domains_pb2.RenewDomainMappingInput(
            tenant_id="tenant-a", storefront_id="tenant-a-web", hostname=hostname, renew_now=True
        ),
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
    )

    async def renewed_fact() -> bool:
        fact = stack.store.facts.latest(f"domain/{hostname}", "DomainMappingProvisioned")
        if fact is None:
            return False
        return facts_pb2.ProcessFact.FromString(fact.payload).domain_mapping_provisioned.renewal

    await eventually(renewed_fact, timeout=120)
    serving = stack.store.domain_certificates.serving(hostname)
    assert serving is not None and serving.serial_hex != first.certificate_serial
    seen = await probe_https(hostname, GATEWAY, nginx.https_port)
    assert seen.certificate_serial_hex == serving.serial_hex
    assert seen.body == storefront.answer_for(hostname)

    async def continued() -> bool:
        latest = await stack.client.get_workflow_handle(renewal.id).describe()
        return latest.status == WorkflowExecutionStatus.RUNNING and latest.run_id != (
            described.run_id
        )

    await eventually(continued, timeout=60)

    await revoke(stack, hostname)
    stopped = await stack.client.get_workflow_handle(renewal.id).describe()
    assert stopped.status == WorkflowExecutionStatus.CANCELED
