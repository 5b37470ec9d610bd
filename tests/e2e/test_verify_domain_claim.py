"""End to end: VerifyDomainClaim against a real authoritative DNS (pebble-challtestsrv), the
real Temporal dev server and worker in this process, and the cloud store.

Checks run every second here (the schedule is configurable down to seconds); bounds like
"within 60 s" are functional bounds for detection, not timings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import Client

from ameide_core_proto.process.commerce.v1 import conditions_pb2, domains_pb2, facts_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import DomainWorkflowServiceClient
from cloud.adapters.temporal_domains import verify_workflow_id
from cloud.composition.domain_assembly import domain_service
from cloud.domains.errors import HostnameUnavailable
from cloud.domains.hostnames import InvalidHostname
from cloud.domains.records import DomainClaim, audit_subject
from cloud.services.domains import DomainService, VerificationNotStarted
from shared.timestamps import from_timestamp
from tests.support.challtestsrv import ChallTestSrv, ChallTestSrvClient
from tests.support.stack import Stack, cloud_stack, eventually

pytestmark = pytest.mark.usefixtures("temporal_cli")

TARGET = "edge.storefront.localhost"
TRUE = conditions_pb2.CONDITION_STATUS_TRUE


def _given(client: Client) -> Callable[[], Awaitable[Client]]:
    async def connected() -> Client:
        return client

    return connected


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, challtestsrv: ChallTestSrv
) -> AsyncIterator[Stack]:
    domains: dict[str, Any] = {
        "dns_resolvers": [challtestsrv.dns_server],
        "dns_timeout_seconds": 2,
        "cname_target": TARGET,
        "gateway_addresses": ["192.0.2.80"],
        "platform_domains": ["storefront.localhost"],
        "check_intervals_seconds": [1],
        "verify_deadline_seconds": 600,
    }
    async with cloud_stack(tmp_path_factory.mktemp("cloud"), domains=domains) as s:
        yield s


def _service(stack: Stack, actor: str = "ops:test", **domains: Any) -> DomainService:
    config = stack.config
    if domains:
        config = config.model_copy(update={"domains": config.domains.model_copy(update=domains)})
    return domain_service(config, stack.store, _given(stack.client), actor=actor)


async def _status(stack: Stack, hostname: str) -> domains_pb2.DomainClaimStatus:
    client = DomainWorkflowServiceClient(stack.client)
    return await client.get_verify_domain_claim_handle(
        verify_workflow_id(hostname)
    ).get_domain_claim_status()


def _conditions(status: domains_pb2.DomainClaimStatus) -> dict[str, str]:
    return {c.type: c.reason for c in status.conditions if c.status == TRUE}


async def _result(stack: Stack, hostname: str) -> domains_pb2.VerifyDomainClaimResult:
    client = DomainWorkflowServiceClient(stack.client)
    handle = client.get_verify_domain_claim_handle(verify_workflow_id(hostname))
    return await asyncio.wait_for(handle.result(), timeout=60)


async def _claim(stack: Stack, hostname: str, tenant: str = "tenant-a", **kw: Any) -> DomainClaim:
    return await _service(stack).claim(tenant, hostname, f"{tenant}-web", **kw)


async def test_a_record_that_appears_after_a_few_checks_verifies_the_claim(
    stack: Stack, dns_records: ChallTestSrvClient
) -> None:
    hostname = "late.shop-one.example"
    claim = await _claim(stack, hostname)
    assert claim.state == "pending"
    assert [(r.name, r.type) for r in claim.expected_records][:2] == [
        (f"_ameide-challenge.{hostname}", "TXT"),
        (hostname, "CNAME"),
    ]

    async def missing_twice() -> bool:
        status = await _status(stack, hostname)
        return status.checks >= 2 and "TXTMissing" in _conditions(status)

    await eventually(missing_twice, timeout=60)
    status = await _status(stack, hostname)
    assert _conditions(status)["PropagationPending"] == "RecordsNotVisible"
    assert _conditions(status)["DNSTargetIncorrect"] == "NoRoutingRecord"
    assert status.HasField("next_check_at")
    assert from_timestamp(status.next_check_at) <= from_timestamp(status.deadline)
    stored = stack.store.domain_claims.get(claim.claim_id)
    assert stored is not None and stored.next_check_at is not None and stored.checks >= 2

    await dns_records.set_txt(claim.challenge_name, claim.challenge_value)
    await dns_records.set_cname(hostname, TARGET)
    result = await _result(stack, hostname)
    assert result.verified
    assert {c.type for c in result.conditions if c.status == TRUE} == {"Verified"}

    verified = stack.store.domain_claims.get(claim.claim_id)
    assert verified is not None and verified.state == "verified"
    fact = stack.store.facts.latest(f"domain/{hostname}", "DomainVerified")
    assert fact is not None
    payload = facts_pb2.ProcessFact.FromString(fact.payload).domain_verified
    assert (payload.tenant_id, payload.hostname, payload.claim_id) == (
        "tenant-a",
        hostname,
        claim.claim_id,
    )
    actions = [r.action for r in reversed(stack.store.audit.list(audit_subject(hostname)))]
    assert actions[0] == "domain.claimed" and actions[-1] == "domain.verified"
    assert actions.count("domain.checked") >= 3
    last_check = next(
        r for r in stack.store.audit.list(audit_subject(hostname)) if r.action == "domain.checked"
    )
    assert any(a["status"] == "ok" and a["rdtype"] == "TXT" for a in last_check.detail["answers"])
    verified_entry = stack.store.audit.list(audit_subject(hostname), limit=1)[0]
    assert verified_entry.action == "domain.verified"
    assert {(a["rdtype"], a["status"]) for a in verified_entry.detail["answers"]} >= {
        ("TXT", "ok"),
        ("A", "nodata"),
    }


async def test_recheck_checks_at_once_instead_of_waiting(
    stack: Stack, dns_records: ChallTestSrvClient
) -> None:
    hostname = "recheck.shop-two.example"
    service = _service(stack, check_intervals_seconds=[3600])
    claim = await service.claim("tenant-a", hostname, "web")

    async def checked_once() -> bool:
        return (await _status(stack, hostname)).checks >= 1

    await eventually(checked_once, timeout=30)
    status = await _status(stack, hostname)
    assert "TXTMissing" in _conditions(status)
    # The next scheduled check is minutes away: only the recheck can verify within the test.
    wait = from_timestamp(status.next_check_at) - datetime.now(UTC)
    assert wait > timedelta(minutes=5)

    await dns_records.set_txt(claim.challenge_name, claim.challenge_value)
    await dns_records.set_a(hostname, ["192.0.2.80"])
    await service.recheck(hostname)
    result = await _result(stack, hostname)
    assert result.verified
    checked = [
        r for r in stack.store.audit.list(audit_subject(hostname)) if r.action == "domain.checked"
    ]
    assert checked[0].actor == "verify-domain-claim (recheck by ops:test)"


async def test_a_wrong_txt_until_the_deadline_fails_the_claim_and_frees_the_name(
    stack: Stack, dns_records: ChallTestSrvClient
) -> None:
    hostname = "deadline.shop-three.example"
    await dns_records.set_txt(f"_ameide-challenge.{hostname}", "ameide-verify=someone-else")
    await dns_records.set_cname(hostname, TARGET)
    service = _service(stack, verify_deadline_seconds=3)
    claim = await service.claim("tenant-a", hostname, "web")
    handle = DomainWorkflowServiceClient(stack.client).get_verify_domain_claim_handle(
        verify_workflow_id(hostname)
    )
    described = await handle.raw.describe()
    timeout = described.raw_description.execution_config.workflow_execution_timeout
    assert timeout.ToSeconds() == 3 + 3600  # the deadline decides; the timeout is a backstop
    result = await _result(stack, hostname)
    assert not result.verified
    reasons = {c.type: c.message for c in result.conditions if c.status == TRUE}
    assert (
        "someone-else" in reasons["TXTMismatch"]
        and claim.challenge_value in (reasons["TXTMismatch"])
    )
    assert "deadline has passed" in reasons["PropagationPending"]
    failed = stack.store.domain_claims.get(claim.claim_id)
    assert failed is not None and failed.state == "failed"
    other = await _service(stack).claim("tenant-b", hostname, "web-b")
    assert other.tenant_id == "tenant-b" and other.state == "pending"


async def test_servfail_keeps_checking_and_heals(
    stack: Stack, dns_records: ChallTestSrvClient
) -> None:
    hostname = "servfail.shop-four.example"
    await dns_records.set_servfail(hostname)
    claim = await _claim(stack, hostname)

    async def pending_on_servfail() -> bool:
        status = await _status(stack, hostname)
        return _conditions(status).get("PropagationPending") == "DNSUnanswered"

    await eventually(pending_on_servfail, timeout=60)
    await dns_records.clear_servfail(hostname)
    await dns_records.set_txt(claim.challenge_name, claim.challenge_value)
    await dns_records.set_cname(hostname, TARGET)
    assert (await _result(stack, hostname)).verified


async def test_another_tenant_is_refused_and_an_override_takes_over(
    stack: Stack, dns_records: ChallTestSrvClient
) -> None:
    hostname = "contested.shop-five.example"
    first = await _claim(stack, hostname, "tenant-a")
    again = await _claim(stack, hostname, "tenant-a")
    assert again.claim_id == first.claim_id
    with pytest.raises(HostnameUnavailable) as refused:
        await _claim(stack, hostname, "tenant-b")
    assert refused.value.reason == "ClaimedByAnotherTenant"

    admin = _service(stack, actor="ops:admin")
    taken = await admin.claim("tenant-b", hostname, "web-b", override_reason="ticket 4711")
    assert taken.tenant_id == "tenant-b"
    await dns_records.set_txt(taken.challenge_name, taken.challenge_value)
    await dns_records.set_cname(hostname, TARGET)
    assert (await _result(stack, hostname)).verified
    assert stack.store.domain_claims.get(first.claim_id).state == "superseded"  # type: ignore[union-attr]
    override = next(
        r for r in stack.store.audit.list(audit_subject(hostname)) if r.action == "domain.override"
    )
    assert override.actor == "ops:admin" and override.detail["reason"] == "ticket 4711"


async def test_a_bad_hostname_is_refused_before_anything_starts(stack: Stack) -> None:
    with pytest.raises(InvalidHostname, match="platform's own domain"):
        await _claim(stack, "shop.storefront.localhost")
    assert stack.store.domain_claims.current("shop.storefront.localhost") is None
    refusal = stack.store.audit.list(audit_subject("shop.storefront.localhost"))[0]
    assert refusal.action == "domain.claim_refused"


async def test_a_claim_made_while_temporal_is_unreachable_resumes_when_claimed_again(
    stack: Stack, dns_records: ChallTestSrvClient
) -> None:
    hostname = "resume.shop-six.example"

    async def unreachable() -> Client:
        return await Client.connect("127.0.0.1:1")  # nothing listens there

    offline = domain_service(stack.config, stack.store, unreachable, actor="ops:test")
    with pytest.raises(VerificationNotStarted, match="run the same `domains claim` again"):
        await offline.claim("tenant-a", hostname, "web")
    stored = stack.store.domain_claims.current(hostname)
    assert stored is not None and stored.state == "pending"

    resumed = await _claim(stack, hostname)
    assert resumed.claim_id == stored.claim_id
    await dns_records.set_txt(resumed.challenge_name, resumed.challenge_value)
    await dns_records.set_cname(hostname, TARGET)
    assert (await _result(stack, hostname)).verified
