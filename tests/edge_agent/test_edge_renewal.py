"""Certificate renewal at two thirds of the lifetime, over mTLS to the real gateway, same key."""

from __future__ import annotations

import asyncio
import datetime as dt
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge_agent.identity import CertificateFacts, IdentityPaths, RenewalTask, load_identity
from shared.identity import public_key_fingerprint
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CloudSide, enroll_at, running_gateway
from tests.support.stack import eventually

# Certificates of a few seconds: due for renewal soon after enrollment.
SHORT_LIFETIME_DAYS = 6 / 86400


def _task(data_dir: Path, renewed: list[CertificateFacts]) -> RenewalTask:
    return RenewalTask(data_dir, check_seconds=3600, timeout=5, on_renewed=renewed.append)


@pytest.fixture
async def short_lived(tmp_path: Path) -> AsyncIterator[CloudSide]:
    side = await asyncio.to_thread(
        CloudSide.under, tmp_path / "cloud", certificate_lifetime_days=SHORT_LIFETIME_DAYS
    )
    try:
        async with running_gateway(side):
            yield side
    finally:
        await asyncio.to_thread(side.close)


async def test_renewal_replaces_the_certificate_when_two_thirds_have_passed(
    short_lived: CloudSide, data_dir: Path
) -> None:
    await enroll_at(short_lived, data_dir, SITE)
    before = load_identity(data_dir)
    await eventually(lambda: before.certificate.due_for_renewal(), timeout=15)

    renewed: list[CertificateFacts] = []
    facts = await _task(data_dir, renewed).check_once()

    assert facts is not None
    assert renewed == [facts]
    after = load_identity(data_dir)
    assert after.certificate.serial_hex == facts.serial_hex != before.certificate.serial_hex
    assert not after.certificate.due_for_renewal()
    assert public_key_fingerprint(after.key.public_key()) == public_key_fingerprint(
        before.key.public_key()
    )
    cert_file = IdentityPaths.under(data_dir).certificate
    assert stat.S_IMODE(cert_file.stat().st_mode) == 0o600
    # The cloud holds both certificates of the site, for the same key.
    stored = short_lived.store.certificates.for_site(SITE)
    assert {c.serial for c in stored} == {before.certificate.serial_hex, facts.serial_hex}
    assert len({c.public_key_sha256 for c in stored}) == 1


async def test_fresh_certificate_is_left_alone(cloud: CloudSide, site_dir: Path) -> None:
    renewed: list[CertificateFacts] = []
    assert await _task(site_dir, renewed).check_once() is None
    assert renewed == []
    assert len(cloud.store.certificates.for_site(SITE)) == 1


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
