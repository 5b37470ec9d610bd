"""Certificate renewal at two thirds of the lifetime, over mTLS, with the same key."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

from edge_agent.identity import CertificateFacts, IdentityPaths, RenewalTask, load_identity
from shared.identity import public_key_fingerprint
from tests.edge_agent.edge_fake_gateway import FakeGateway
from tests.edge_agent.edge_support import enroll_site


def _task(data_dir: Path, renewed: list[CertificateFacts]) -> RenewalTask:
    return RenewalTask(data_dir, check_seconds=3600, timeout=5, on_renewed=renewed.append)


async def test_renewal_replaces_the_certificate_when_two_thirds_have_passed(
    gateway: FakeGateway, data_dir: Path
) -> None:
    gateway.cert_not_before_offset = -dt.timedelta(days=21)  # 21 of 30 days gone: due
    await enroll_site(gateway, data_dir)
    before = load_identity(data_dir)
    assert before.certificate.due_for_renewal()

    renewed: list[CertificateFacts] = []
    facts = await _task(data_dir, renewed).check_once()

    assert facts is not None
    assert renewed == [facts]
    assert len(gateway.renew_requests) == 1
    after = load_identity(data_dir)
    assert after.certificate.serial_hex == facts.serial_hex != before.certificate.serial_hex
    assert not after.certificate.due_for_renewal()
    assert public_key_fingerprint(after.key.public_key()) == public_key_fingerprint(
        before.key.public_key()
    )
    cert_file = IdentityPaths.under(data_dir).certificate
    assert stat.S_IMODE(cert_file.stat().st_mode) == 0o600


async def test_fresh_certificate_is_left_alone(gateway: FakeGateway, enrolled: Path) -> None:
    renewed: list[CertificateFacts] = []
    assert await _task(enrolled, renewed).check_once() is None
    assert renewed == []
    assert gateway.renew_requests == []


def test_renewal_is_due_at_two_thirds() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    facts = CertificateFacts(
        site_id="store-0042",
        serial_hex="1",
        not_before=start,
        not_after=start + dt.timedelta(days=30),
        sha256="0" * 64,
    )
    assert not facts.due_for_renewal(start + dt.timedelta(days=19, hours=23))
    assert facts.due_for_renewal(start + dt.timedelta(days=20))
