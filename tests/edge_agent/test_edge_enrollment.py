"""Enrollment against the fake gateway: trust pin, token, key handling, files on disk."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import grpc
import pytest
from cryptography import x509

from edge_agent.errors import CloudUnreachable
from edge_agent.identity import IdentityPaths, enroll
from edge_agent.identity.keys import load_key
from shared.errors import EnrollmentRefused, IdentityError, InvalidInput, TrustError
from shared.identity import public_key_fingerprint, site_id_of_certificate, site_uri
from tests.edge_agent.edge_fake_gateway import FakeGateway, TestCA
from tests.edge_agent.edge_support import SITE, enroll_site


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_enroll_writes_key_and_certificate_private(
    gateway: FakeGateway, data_dir: Path
) -> None:
    token = gateway.add_token(SITE)
    outcome = await enroll(
        data_dir=data_dir,
        cloud=gateway.cloud,
        token=token,
        ca_fingerprint=":".join(  # the AB:CD:... form installers copy from tools
            gateway.ca.fingerprint[i : i + 2].upper() for i in range(0, 64, 2)
        ),
        agent_version="1.2.3",
    )
    paths = IdentityPaths.under(data_dir)
    assert _mode(paths.key) == 0o600
    assert _mode(paths.certificate) == 0o600
    cert = x509.load_pem_x509_certificate(paths.certificate.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [site_uri(SITE)]
    assert site_id_of_certificate(cert) == SITE
    assert public_key_fingerprint(cert.public_key()) == public_key_fingerprint(
        load_key(paths).public_key()
    )
    assert paths.ca_certificate.read_bytes() == gateway.ca.pem
    record = json.loads(paths.record.read_text())
    assert record["site_id"] == SITE
    assert record["cloud_host"] == "127.0.0.1"
    assert record["discovery_port"] == gateway.discovery_port
    assert record["enroll_port"] == gateway.enroll_port
    assert record["control_port"] == gateway.control_port
    assert record["ca_fingerprint"] == gateway.ca.fingerprint
    assert record["enrolled_at"]
    assert outcome.certificate.serial_hex == format(cert.serial_number, "x")
    (request,) = gateway.enroll_requests
    assert request.site_id == SITE
    assert request.bootstrap_token == token
    assert request.agent_version == "1.2.3"
    csr = x509.load_pem_x509_csr(request.csr_pem.encode())
    assert csr.subject.rfc4514_string() == f"CN={SITE}"


async def test_wrong_fingerprint_is_refused_before_anything_is_sent(
    gateway: FakeGateway, data_dir: Path
) -> None:
    other = TestCA()
    with pytest.raises(TrustError) as refused:
        await enroll(
            data_dir=data_dir,
            cloud=gateway.cloud,
            token=gateway.add_token(SITE),
            ca_fingerprint=other.fingerprint,
            agent_version="1.2.3",
        )
    message = str(refused.value)
    assert gateway.ca.fingerprint in message
    assert other.fingerprint in message
    assert "--cloud" in message
    assert gateway.enroll_requests == []
    assert not IdentityPaths.under(data_dir).key.exists()


async def test_refused_enrollment_surfaces_the_gateway_reason_and_keeps_the_key(
    gateway: FakeGateway, data_dir: Path
) -> None:
    with pytest.raises(EnrollmentRefused, match="unknown, expired or already used"):
        await enroll(
            data_dir=data_dir,
            cloud=gateway.cloud,
            token=f"{SITE}.tok9.not-issued",
            ca_fingerprint=gateway.ca.fingerprint,
            agent_version="1.2.3",
        )
    paths = IdentityPaths.under(data_dir)
    assert _mode(paths.key) == 0o600
    assert not paths.certificate.exists()
    assert not paths.record.exists()


async def test_rerun_after_a_crash_reuses_the_key(gateway: FakeGateway, data_dir: Path) -> None:
    token = gateway.add_token(SITE)
    gateway.enroll_failures.append(grpc.StatusCode.UNAVAILABLE)
    with pytest.raises(CloudUnreachable, match="simulated outage"):
        await enroll(
            data_dir=data_dir,
            cloud=gateway.cloud,
            token=token,
            ca_fingerprint=gateway.ca.fingerprint,
            agent_version="1.2.3",
        )
    paths = IdentityPaths.under(data_dir)
    key_before = paths.key.read_bytes()
    assert not paths.certificate.exists()

    await enroll(
        data_dir=data_dir,
        cloud=gateway.cloud,
        token=token,
        ca_fingerprint=gateway.ca.fingerprint,
        agent_version="1.2.3",
    )
    assert paths.key.read_bytes() == key_before
    first, second = (
        public_key_fingerprint(x509.load_pem_x509_csr(r.csr_pem.encode()).public_key())
        for r in gateway.enroll_requests
    )
    assert first == second == public_key_fingerprint(load_key(paths).public_key())


async def test_enrolling_twice_is_refused(gateway: FakeGateway, data_dir: Path) -> None:
    await enroll_site(gateway, data_dir)
    with pytest.raises(IdentityError, match="already enrolled as site 'store-0042'"):
        await enroll_site(gateway, data_dir)
    assert len(gateway.enroll_requests) == 1


@pytest.mark.parametrize(
    "token", ["no-dots", "store-0042.only-two", "Bad_Site.tok.secret", "store-0042..secret"]
)
async def test_malformed_token_is_bad_input(
    gateway: FakeGateway, data_dir: Path, token: str
) -> None:
    with pytest.raises(InvalidInput):
        await enroll(
            data_dir=data_dir,
            cloud=gateway.cloud,
            token=token,
            ca_fingerprint=gateway.ca.fingerprint,
            agent_version="1.2.3",
        )
    assert not await asyncio.to_thread(data_dir.exists)
