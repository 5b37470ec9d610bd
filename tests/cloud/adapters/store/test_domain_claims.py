"""Domain claims in the cloud store: one holder per hostname, cooldown between tenants, an
audited override, and checks that keep the DNS answers they saw."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from cloud.adapters.store import CloudStore
from cloud.adapters.store.domain_claims import audit_subject
from cloud.domains.errors import HostnameUnavailable
from cloud.domains.records import ConditionRecord, DnsAnswer, ExpectedRecord, NewDomainClaim

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOST = "shop.example.com"


def _new(tenant: str, claim_id: str, hostname: str = HOST) -> NewDomainClaim:
    return NewDomainClaim(
        claim_id=claim_id,
        tenant_id=tenant,
        hostname=hostname,
        storefront_id=f"{tenant}-web",
        challenge_name=f"_ameide-challenge.{hostname}",
        challenge_value=f"ameide-verify={claim_id}",
        expected_records=[ExpectedRecord(hostname, "CNAME", "edge.platform.test", "route")],
        created_by=f"user@{tenant}",
        workflow_id=f"verify-domain-claim/{hostname}",
    )


def _actions(store: CloudStore, hostname: str = HOST) -> list[str]:
    return [r.action for r in reversed(store.audit.list(audit_subject(hostname)))]


def test_a_claim_is_stored_and_claiming_again_returns_it(store: CloudStore) -> None:
    first = store.domain_claims.claim(_new("tenant-a", "c1"), NOW)
    again = store.domain_claims.claim(_new("tenant-a", "c2"), NOW + timedelta(minutes=1))
    assert first.created and not again.created
    assert again.claim.claim_id == "c1"
    assert again.claim.state == "pending"
    assert again.claim.expected_records[0].value == "edge.platform.test"
    assert _actions(store) == ["domain.claimed"]


def test_another_tenant_is_refused_while_the_name_is_held(store: CloudStore) -> None:
    store.domain_claims.claim(_new("tenant-a", "c1"), NOW)
    store.domain_claims.mark_verified("c1", NOW + timedelta(minutes=5))
    with pytest.raises(HostnameUnavailable) as refused:
        store.domain_claims.claim(_new("tenant-b", "c2"), NOW + timedelta(hours=1))
    assert refused.value.reason == "ClaimedByAnotherTenant"
    assert refused.value.claimable_at is None
    assert "claimed by another tenant (verified since 2026-11-25 12:00 UTC)" in str(refused.value)
    assert store.domain_claims.current(HOST).claim_id == "c1"  # type: ignore[union-attr]
    assert _actions(store) == ["domain.claimed", "domain.verified", "domain.claim_refused"]


def test_after_release_only_the_same_tenant_may_claim_until_the_cooldown_ends(
    store: CloudStore,
) -> None:
    store.domain_claims.claim(_new("tenant-a", "c1"), NOW)
    store.domain_claims.mark_verified("c1", NOW)
    until = NOW + timedelta(days=7)
    store.domain_claims.release("c1", NOW + timedelta(hours=1), until, actor="ops", reason="gone")

    with pytest.raises(HostnameUnavailable) as refused:
        store.domain_claims.claim(_new("tenant-b", "c2"), NOW + timedelta(days=1))
    assert refused.value.reason == "InCooldown"
    assert refused.value.claimable_at == until
    assert "cooldown until 2026-12-02 12:00 UTC" in str(refused.value)
    refusal = store.audit.list(audit_subject(HOST), limit=1)[0]
    assert refusal.action == "domain.claim_refused"
    assert refusal.detail["claimable_at"] == until.isoformat()

    same = store.domain_claims.claim(_new("tenant-a", "c3"), NOW + timedelta(days=2))
    assert same.created and same.claim.tenant_id == "tenant-a"


def test_after_the_cooldown_another_tenant_may_claim(store: CloudStore) -> None:
    store.domain_claims.claim(_new("tenant-a", "c1"), NOW)
    store.domain_claims.release(
        "c1", NOW, NOW + timedelta(days=7), actor="ops", reason="contract ended"
    )
    later = store.domain_claims.claim(_new("tenant-b", "c2"), NOW + timedelta(days=7, seconds=1))
    assert later.created and later.claim.tenant_id == "tenant-b"


def test_an_admin_override_supersedes_the_holder_and_is_audited(store: CloudStore) -> None:
    store.domain_claims.claim(_new("tenant-a", "c1"), NOW)
    taken = store.domain_claims.claim(
        _new("tenant-b", "c2"), NOW + timedelta(hours=1), override_reason="ticket 4711"
    )
    assert taken.created and taken.claim.tenant_id == "tenant-b"
    assert store.domain_claims.get("c1").state == "superseded"  # type: ignore[union-attr]
    override = next(
        r for r in store.audit.list(audit_subject(HOST)) if r.action == "domain.override"
    )
    assert override.actor == "user@tenant-b"
    assert override.detail["reason"] == "ticket 4711"
    assert override.detail["previous_tenants"] == ["tenant-a"]


def test_a_failed_claim_frees_the_name(store: CloudStore) -> None:
    store.domain_claims.claim(_new("tenant-a", "c1"), NOW)
    store.domain_claims.mark_failed("c1", [], NOW + timedelta(hours=72), "deadline passed")
    other = store.domain_claims.claim(_new("tenant-b", "c2"), NOW + timedelta(hours=73))
    assert other.created


def test_checks_keep_answers_conditions_and_transition_times(store: CloudStore) -> None:
    store.domain_claims.claim(_new("tenant-a", "c1"), NOW)
    missing = ConditionRecord("TXTMissing", "True", "NoTXTRecord", "expected ...; observed none")
    answer = DnsAnswer(f"_ameide-challenge.{HOST}", "TXT", "nxdomain")
    first_at = NOW + timedelta(minutes=1)
    store.domain_claims.record_check(
        "c1", [answer], [missing], NOW + timedelta(minutes=2), first_at
    )
    second = store.domain_claims.record_check(
        "c1", [answer], [missing], NOW + timedelta(minutes=5), NOW + timedelta(minutes=2)
    )
    assert second.checks == 2
    assert second.next_check_at == NOW + timedelta(minutes=5)
    assert second.observed == [answer]
    assert second.conditions[0].last_transition_time == first_at
    found = ConditionRecord("TXTMissing", "False", "TXTFound", "observed TXT")
    third_at = NOW + timedelta(minutes=5)
    third = store.domain_claims.record_check("c1", [answer], [found], None, third_at)
    assert third.conditions[0].last_transition_time == third_at
    checked = [r for r in store.audit.list(audit_subject(HOST)) if r.action == "domain.checked"]
    assert len(checked) == 3
    assert checked[-1].detail["answers"][0]["status"] == "nxdomain"


def test_listing_by_tenant(store: CloudStore) -> None:
    store.domain_claims.claim(_new("tenant-a", "c1", "a.example.com"), NOW)
    store.domain_claims.claim(_new("tenant-b", "c2", "b.example.com"), NOW)
    assert [c.hostname for c in store.domain_claims.list()] == ["a.example.com", "b.example.com"]
    assert [c.hostname for c in store.domain_claims.list("tenant-b")] == ["b.example.com"]


def test_tenants_racing_for_a_name_leave_exactly_one_holder(store: CloudStore) -> None:
    hostname = "raced.example.com"
    barrier = threading.Barrier(6)

    def attempt(n: int) -> str:
        barrier.wait()
        try:
            store.domain_claims.claim(_new(f"tenant-{n}", f"race-{n}", hostname), NOW)
        except HostnameUnavailable:
            return "refused"
        return "created"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert outcomes.count("created") == 1, outcomes
    assert outcomes.count("refused") == 5
    holders = [c for c in store.domain_claims.list() if c.hostname == hostname]
    assert len(holders) == 1 and holders[0].state == "pending"
