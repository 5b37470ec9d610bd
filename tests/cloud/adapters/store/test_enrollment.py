from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from cloud.adapters.store import (
    CertificateConflict,
    CertificateRecord,
    CloudStore,
    SiteRecord,
    SiteRevoked,
    TokenRejected,
    TokenRejection,
)
from shared.errors import IdentityError
from tests.cloud.adapters.store.builders import NOW, new_certificate, token_hash


def test_issue_is_idempotent_by_token_id(
    store: CloudStore, issue_token: Callable[..., str]
) -> None:
    token_id = issue_token()
    first = store.tokens.get(token_id)
    assert first is not None
    again = store.tokens.issue(
        token_id, "store-0042", token_hash("secret-other"), "wf-2", NOW + timedelta(days=1)
    )
    assert again == first
    assert store.tokens.get_by_hash(token_hash(f"secret-{token_id}")) == first
    assert store.tokens.get_by_hash(token_hash("secret-other")) is None
    assert first.expires_at == NOW + timedelta(hours=1)
    assert first.used_at is None


def test_latest_usable_token_skips_used_expired_and_revoked_ones(
    store: CloudStore, site: SiteRecord
) -> None:
    def issue(token_id: str, created: datetime, expires: datetime) -> None:
        store.tokens.issue(token_id, site.site_id, token_hash(token_id), "wf", expires, at=created)

    issue("tok-old", NOW - timedelta(hours=3), NOW + timedelta(hours=1))
    issue("tok-expired", NOW - timedelta(hours=2), NOW)
    issue("tok-used", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    store.certificates.enroll("tok-used", new_certificate(), NOW - timedelta(minutes=30))
    latest = store.tokens.latest_usable_for_site(site.site_id, NOW)
    assert latest is not None
    assert latest.token_id == "tok-old"
    store.tokens.revoke_unused_for_site(site.site_id, NOW)
    assert store.tokens.latest_usable_for_site(site.site_id, NOW) is None


def test_enroll_consumes_token_and_replay_by_same_key_returns_same_certificate(
    store: CloudStore, issue_token: Callable[..., str]
) -> None:
    token_id = issue_token()
    cert = new_certificate(public_key="key-a")
    stored = store.certificates.enroll(
        token_id, cert, NOW, token_hash=token_hash(f"secret-{token_id}")
    )
    assert (stored.serial, stored.issued_via, stored.token_id) == (
        cert.serial,
        "enrollment",
        token_id,
    )
    token = store.tokens.get(token_id)
    assert token is not None
    assert token.used_at == NOW
    assert token.used_by_public_key_sha256 == cert.public_key_sha256

    # The agent was killed after sending its CSR and enrolls again with the same key:
    # the CA signed a new serial, but the store hands back the first certificate.
    replay = store.certificates.enroll(token_id, new_certificate(public_key="key-a"), NOW)
    assert replay == stored
    assert store.certificates.for_token(token_id) == stored
    assert len(store.certificates.for_site("store-0042")) == 1
    assert [a.action for a in store.audit.list(subject="store-0042")] == ["certificate.enrolled"]


def test_token_used_by_another_key_is_refused(
    store: CloudStore, issue_token: Callable[..., str]
) -> None:
    token_id = issue_token()
    store.certificates.enroll(token_id, new_certificate(public_key="key-a"), NOW)
    with pytest.raises(TokenRejected, match="already used to enroll another key") as caught:
        store.certificates.enroll(token_id, new_certificate(public_key="key-b"), NOW)
    assert caught.value.reason is TokenRejection.USED_BY_OTHER_KEY
    assert isinstance(caught.value, IdentityError)
    assert len(store.certificates.for_site("store-0042")) == 1


def test_expired_token_is_refused_and_stays_unused(
    store: CloudStore, issue_token: Callable[..., str]
) -> None:
    token_id = issue_token(expires_at=NOW)
    cert = new_certificate()
    with pytest.raises(TokenRejected, match="expired at 2025-11-24T12:00:00") as caught:
        store.certificates.enroll(token_id, cert, NOW)
    assert caught.value.reason is TokenRejection.EXPIRED
    assert store.certificates.get(cert.serial) is None
    token = store.tokens.get(token_id)
    assert token is not None
    assert token.used_at is None


def test_revoked_token_is_refused(store: CloudStore, issue_token: Callable[..., str]) -> None:
    token_id = issue_token()
    assert store.tokens.revoke_unused_for_site("store-0042", NOW) == 1
    assert store.tokens.revoke_unused_for_site("store-0042", NOW) == 0
    with pytest.raises(TokenRejected) as caught:
        store.certificates.enroll(token_id, new_certificate(), NOW)
    assert caught.value.reason is TokenRejection.REVOKED


@pytest.mark.parametrize(
    ("token_id", "presented_hash", "site_id", "reason"),
    [
        ("tok-missing", None, "store-0042", TokenRejection.UNKNOWN),
        ("tok-1", token_hash("secret-guessed"), "store-0042", TokenRejection.UNKNOWN),
        ("tok-1", None, "store-0043", TokenRejection.WRONG_SITE),
    ],
)
def test_unknown_mismatched_or_foreign_token_is_refused(
    store: CloudStore,
    issue_token: Callable[..., str],
    token_id: str,
    presented_hash: str | None,
    site_id: str,
    reason: TokenRejection,
) -> None:
    issue_token("tok-1")
    with pytest.raises(TokenRejected) as caught:
        store.certificates.enroll(
            token_id, new_certificate(site_id=site_id), NOW, token_hash=presented_hash
        )
    assert caught.value.reason is reason
    token = store.tokens.get("tok-1")
    assert token is not None
    assert token.used_at is None


def test_revoke_makes_every_certificate_of_the_site_unusable(
    store: CloudStore, issue_token: Callable[..., str]
) -> None:
    enrolled = store.certificates.enroll(issue_token("tok-1"), new_certificate(), NOW)
    renewed = store.certificates.add_renewal(new_certificate(not_before=NOW + timedelta(days=20)))
    spare = issue_token("tok-2")
    later = NOW + timedelta(days=21)
    assert store.certificates.is_usable(enrolled.serial, "store-0042", NOW)
    assert store.certificates.is_usable(renewed.serial, "store-0042", later)
    assert not store.certificates.is_usable(renewed.serial, "store-0042", NOW)  # not yet valid
    assert not store.certificates.is_usable(enrolled.serial, "store-0099", NOW)  # other site
    assert not store.certificates.is_usable("feed", "store-0042", NOW)

    serials, cursor = store.certificates.revoked_serials_since(None)
    assert (serials, cursor) == ([], None)

    store.sites.revoke("store-0042", "decommissioned", actor="ops:alice")

    assert not store.certificates.is_usable(enrolled.serial, "store-0042", NOW)
    assert not store.certificates.is_usable(renewed.serial, "store-0042", later)
    revoked_token = store.tokens.get(spare)
    assert revoked_token is not None
    assert revoked_token.revoked_at is not None
    serials, cursor = store.certificates.revoked_serials_since(None)
    assert sorted(serials) == sorted([enrolled.serial, renewed.serial])
    assert cursor is not None
    [audit] = store.audit.list(subject="store-0042", limit=1)
    assert audit.action == "site.revoked"
    assert sorted(audit.detail["certificates"]) == sorted([enrolled.serial, renewed.serial])
    with pytest.raises(SiteRevoked):
        store.certificates.add_renewal(new_certificate())
    with pytest.raises(TokenRejected) as caught:
        store.certificates.enroll(spare, new_certificate(), NOW)
    assert caught.value.reason is TokenRejection.REVOKED


def test_revoked_serials_cursor_advances(store: CloudStore, site: SiteRecord) -> None:
    store.channels.create("b2b", "B2B", [])
    store.sites.create_or_get("store-0043", "b2b", "Depot", "UTC", "1.2.0")
    first = store.certificates.add_renewal(new_certificate(site_id="store-0042"))
    second = store.certificates.add_renewal(new_certificate(site_id="store-0043"))
    store.sites.revoke("store-0042", "test", actor="ops")
    serials, cursor = store.certificates.revoked_serials_since(None)
    assert serials == [first.serial]
    store.sites.revoke("store-0043", "test", actor="ops")
    serials, next_cursor = store.certificates.revoked_serials_since(cursor)
    # Overlapping answers are allowed (callers keep a set), missing ones are not.
    assert second.serial in serials
    assert next_cursor is not None and cursor is not None and next_cursor >= cursor


def test_renewal_serial_clash_is_refused(store: CloudStore, site: SiteRecord) -> None:
    cert = new_certificate()
    assert store.certificates.add_renewal(cert) == store.certificates.add_renewal(cert)
    clash = new_certificate()
    clash = type(clash)(**{**clash.__dict__, "serial": cert.serial})
    with pytest.raises(CertificateConflict, match="sign again with a new random serial"):
        store.certificates.add_renewal(clash)


@pytest.mark.parametrize("separate_engines", [False, True], ids=["one-engine", "two-engines"])
def test_concurrent_enrollments_with_different_keys_have_one_winner(
    store: CloudStore, store_url: str, issue_token: Callable[..., str], separate_engines: bool
) -> None:
    token_id = issue_token()
    other = CloudStore.open(store_url) if separate_engines else store
    barrier = threading.Barrier(2)
    winners: list[CertificateRecord] = []
    losers: list[TokenRejected] = []
    unexpected: list[BaseException] = []

    def attempt(target: CloudStore, key: str) -> None:
        barrier.wait()
        try:
            winners.append(
                target.certificates.enroll(token_id, new_certificate(public_key=key), NOW)
            )
        except TokenRejected as exc:
            losers.append(exc)
        except BaseException as exc:
            unexpected.append(exc)

    threads = [
        threading.Thread(target=attempt, args=(store, "key-a")),
        threading.Thread(target=attempt, args=(other, "key-b")),
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if separate_engines:
            other.close()
    assert unexpected == []
    assert len(winners) == 1
    assert [exc.reason for exc in losers] == [TokenRejection.USED_BY_OTHER_KEY]
    assert store.certificates.for_site("store-0042") == winners
    token = store.tokens.get(token_id)
    assert token is not None
    assert token.used_by_public_key_sha256 == winners[0].public_key_sha256
