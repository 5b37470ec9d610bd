"""Records the replay corpus of VerifyDomainClaim against the real dev server and a real
authoritative DNS (pebble-challtestsrv).

Runs only with COMMERCE_RECORD_HISTORIES=1 (`make record-domain-histories`); writes
tests/histories/domains/*.json.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from ameide_core_proto.process.commerce.v1.workflows_temporal import DomainWorkflowServiceClient
from cloud.adapters.temporal_domains import verify_workflow_id
from cloud.composition.domain_assembly import domain_service
from tests.cloud.workflows.corpus import HISTORIES_DIR, write_history
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient
from tests.support.stack import Stack, cloud_stack, eventually

pytestmark = [
    pytest.mark.slow,
    pytest.mark.opt_in,
    pytest.mark.skipif(
        os.environ.get("COMMERCE_RECORD_HISTORIES") != "1",
        reason="records histories only with COMMERCE_RECORD_HISTORIES=1 "
        "(make record-domain-histories)",
    ),
]

DOMAINS_DIR = HISTORIES_DIR / "domains"
TARGET = "edge.storefront.localhost"
RESULT_TIMEOUT = 120.0


def _domains(server: ChallTestSrv, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dns_resolvers": [server.dns_server],
        "dns_timeout_seconds": 2,
        "cname_target": TARGET,
        "gateway_addresses": ["192.0.2.80"],
        "check_intervals_seconds": [1, 2],
        "verify_deadline_seconds": 600,
    }
    values.update(overrides)
    return values


async def _save(stack: Stack, hostname: str, scenario: str) -> None:
    handle = stack.client.get_workflow_handle(verify_workflow_id(hostname))
    history = await handle.fetch_history()
    write_history(DOMAINS_DIR / f"{scenario}.json", history.to_json())


async def test_record_verified_after_late_records_and_a_recheck(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    async with cloud_stack(tmp_path / "cloud", domains=_domains(challtestsrv)) as stack:
        service = domain_service(stack.config, stack.store, _connected(stack), actor="ops:record")
        hostname = "late.recorded.example"
        claim = await service.claim("tenant-a", hostname, "web")
        runs = DomainWorkflowServiceClient(stack.client)
        handle = runs.get_verify_domain_claim_handle(verify_workflow_id(hostname))

        async def checked_twice() -> bool:
            return (await handle.get_domain_claim_status()).checks >= 2

        await eventually(checked_twice, timeout=60)
        await dns_records.set_txt(claim.challenge_name, claim.challenge_value)
        await dns_records.set_cname(hostname, TARGET)
        await service.recheck(hostname)
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        assert result.verified
        await _save(stack, hostname, "verified_after_late_records")


async def test_record_deadline_passed(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    domains = _domains(challtestsrv, verify_deadline_seconds=4)
    async with cloud_stack(tmp_path / "cloud", domains=domains) as stack:
        service = domain_service(stack.config, stack.store, _connected(stack), actor="ops:record")
        hostname = "never.recorded.example"
        await dns_records.set_cname(hostname, "somewhere-else.example")
        await service.claim("tenant-a", hostname, "web")
        runs = DomainWorkflowServiceClient(stack.client)
        handle = runs.get_verify_domain_claim_handle(verify_workflow_id(hostname))
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        assert not result.verified
        await _save(stack, hostname, "deadline_passed")


def _connected(stack: Stack) -> Any:
    async def connect() -> Any:
        return stack.client

    return connect


async def test_record_local_steps_verified_after_late_records_and_deadline_passed(
    tmp_path: Path, challtestsrv: ChallTestSrv, dns_records: ChallTestSrvClient
) -> None:
    # The checks as local activities (patch 2026-11-local-claim-steps). Recorded on its own
    # (-k local_steps) so the older histories stay as they were recorded.
    async with cloud_stack(tmp_path / "cloud", domains=_domains(challtestsrv)) as stack:
        service = domain_service(stack.config, stack.store, _connected(stack), actor="ops:record")
        hostname = "late.local.recorded.example"
        claim = await service.claim("tenant-a", hostname, "web")
        runs = DomainWorkflowServiceClient(stack.client)
        handle = runs.get_verify_domain_claim_handle(verify_workflow_id(hostname))

        async def checked_twice() -> bool:
            return (await handle.get_domain_claim_status()).checks >= 2

        await eventually(checked_twice, timeout=60)
        await dns_records.set_txt(claim.challenge_name, claim.challenge_value)
        await dns_records.set_cname(hostname, TARGET)
        await service.recheck(hostname)
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        assert result.verified
        await _save(stack, hostname, "local_steps_verified_after_late_records")

    domains = _domains(challtestsrv, verify_deadline_seconds=4)
    async with cloud_stack(tmp_path / "cloud-deadline", domains=domains) as stack:
        service = domain_service(stack.config, stack.store, _connected(stack), actor="ops:record")
        hostname = "never.local.recorded.example"
        await dns_records.set_cname(hostname, "somewhere-else.example")
        await service.claim("tenant-a", hostname, "web")
        runs = DomainWorkflowServiceClient(stack.client)
        handle = runs.get_verify_domain_claim_handle(verify_workflow_id(hostname))
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        assert not result.verified
        await _save(stack, hostname, "local_steps_deadline_passed")
