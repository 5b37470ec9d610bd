"""Certificates of domain mappings in the cloud store: an order row found again by its key
(so a retry never orders twice), the key sealed at rest, one serving certificate per hostname,
and an audit trail of issuance, serving and removal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cloud.adapters.sealed_keys import KeySealer
from cloud.adapters.store import CloudStore
from cloud.domains.certificates import CERT_REMOVED, CERT_REPLACED, renew_at
from cloud.domains.records import audit_subject
from cloud.store.domain_certificate_tables import domain_certificates
from shared.errors import ConfigError

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOST = "shop.example.com"
KEY = b"-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n"


def _issue(store: CloudStore, sealer: KeySealer, order_key: str, serial: str) -> None:
    store.domain_certificates.start_order(order_key, HOST, "tenant-a", sealer.seal(KEY), NOW)
    store.domain_certificates.set_order_url(order_key, f"https://ca.test/order/{serial}", NOW)
    store.domain_certificates.mark_issued(
        order_key,
        fullchain_pem=f"chain-{serial}",
        serial_hex=serial,
        not_before=NOW,
        not_after=NOW + timedelta(days=90),
        at=NOW,
        actor="workflow:test",
    )


def test_an_order_is_found_again_by_its_key_and_its_key_is_sealed(
    store: CloudStore, tmp_path: Path
) -> None:
    sealer = KeySealer.open_or_create(tmp_path / "keys" / "domain-keys.fernet")
    first = store.domain_certificates.start_order("o1", HOST, "tenant-a", sealer.seal(KEY), NOW)
    again = store.domain_certificates.start_order("o1", HOST, "tenant-a", sealer.seal(b"x"), NOW)

    assert again.key_sealed == first.key_sealed
    assert sealer.open(again.key_sealed) == KEY
    with store.engine.connect() as conn:
        raw = conn.execute(sa.select(domain_certificates.c.key_sealed)).scalar_one()
    assert b"secret-key-material" not in bytes(raw)
    assert oct((tmp_path / "keys" / "domain-keys.fernet").stat().st_mode & 0o777) == "0o600"
    other = KeySealer.open_or_create(tmp_path / "other.fernet")
    with pytest.raises(ConfigError, match="key_encryption_key_file"):
        other.open(first.key_sealed)


def test_one_serving_certificate_per_hostname_and_an_audit_trail(
    store: CloudStore, tmp_path: Path
) -> None:
    sealer = KeySealer.open_or_create(tmp_path / "k.fernet")
    _issue(store, sealer, "o1", "aa01")
    store.domain_certificates.mark_serving("o1", NOW, "workflow:test")
    _issue(store, sealer, "o2", "bb02")
    store.domain_certificates.mark_serving("o2", NOW + timedelta(minutes=1), "workflow:test")

    serving = store.domain_certificates.serving(HOST)
    assert serving is not None and serving.serial_hex == "bb02"
    first = store.domain_certificates.get("o1")
    assert first is not None and first.state == CERT_REPLACED

    removed = store.domain_certificates.mark_removed(
        HOST, NOW + timedelta(hours=1), "ops:alice", revoked_at_ca=True, reason="contract ended"
    )
    assert {r.serial_hex for r in removed} == {"aa01", "bb02"}
    assert store.domain_certificates.serving(HOST) is None
    gone = store.domain_certificates.get("o2")
    assert gone is not None and gone.state == CERT_REMOVED and gone.revoked_at_ca
    actions = [r.action for r in reversed(store.audit.list(audit_subject(HOST)))]
    assert actions == [
        "domain.certificate_issued",
        "domain.mapping_serving",
        "domain.certificate_issued",
        "domain.mapping_serving",
        "domain.mapping_removed",
    ]


def test_renewal_is_at_two_thirds_unless_ari_says_earlier() -> None:
    start, end = NOW, NOW + timedelta(days=90)
    assert renew_at(start, end, None) == NOW + timedelta(days=60)
    assert renew_at(start, end, NOW + timedelta(days=45)) == NOW + timedelta(days=45)
    assert renew_at(start, end, end + timedelta(days=1)) == NOW + timedelta(days=60)
