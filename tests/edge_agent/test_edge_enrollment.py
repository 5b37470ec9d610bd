"""Enrollment against the real gateway: trust pin, token, key handling, files on disk.

One fault the real gateway does not produce on demand (Enroll failing UNAVAILABLE after
discovery succeeded) runs against the fake gateway.
"""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import grpc
import pytest
from cryptography import x509

from cloud.gateway.server import EdgeGateway
from edge_agent.errors import CloudUnreachable
from edge_agent.identity import IdentityPaths, enroll
from edge_agent.identity.keys import load_key
from shared.errors import EnrollmentRefused, IdentityError, InvalidInput, TrustError
from shared.identity import public_key_fingerprint, site_id_of_certificate, site_uri
from tests.edge_agent.edge_fake_gateway import FakeGateway, TestCA
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CloudSide, RecordingNotifier, enroll_at


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _enroll(cloud: CloudSide, data_dir: Path, token: str, fingerprint: str) -> None:
    await enroll(
        data_dir=data_dir,
        cloud=cloud.cloud_address,
        token=token,
        ca_fingerprint=fingerprint,
        agent_version="1.2.3",
    )


async def test_enroll_writes_key_and_certificate_private(
    cloud: CloudSide, real_gateway: EdgeGateway, notifier: RecordingNotifier, data_dir: Path
) -> None:
    token = await asyncio.to_thread(cloud.add_site, SITE)
    fingerprint = cloud.ca_fingerprint
    outcome = await enroll(
        data_dir=data_dir,
        cloud=cloud.cloud_address,
        token=token,
        ca_fingerprint=":".join(  # the AB:CD:... form installers copy from tools
            fingerprint[i : i + 2].upper() for i in range(0, 64, 2)
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
    key_sha256 = public_key_fingerprint(load_key(paths).public_key())
    assert public_key_fingerprint(cert.public_key()) == key_sha256
    assert paths.ca_certificate.read_text() == cloud.ca.ca_certificate_pem()
    record = json.loads(paths.record.read_text())
    assert record["site_id"] == SITE
    assert record["cloud_host"] == "127.0.0.1"
    assert record["discovery_port"] == cloud.config.discovery_port
    assert record["enroll_port"] == cloud.config.enroll_port
    assert record["control_port"] == cloud.config.control_port
    assert record["ca_fingerprint"] == fingerprint
    assert record["enrolled_at"]
    serial = format(cert.serial_number, "x")
    assert outcome.certificate.serial_hex == serial
    # The cloud recorded the same certificate for the agent's own key, and told provisioning.
    (stored,) = cloud.store.certificates.for_site(SITE)
    assert (stored.serial, stored.public_key_sha256) == (serial, key_sha256)
    assert [(e.site_id, e.certificate_serial) for e in notifier.enrollments] == [(SITE, serial)]


async def test_wrong_fingerprint_is_refused_before_anything_is_sent(
    cloud: CloudSide, real_gateway: EdgeGateway, data_dir: Path
) -> None:
    other = TestCA()
    token = await asyncio.to_thread(cloud.add_site, SITE)
    with pytest.raises(TrustError) as refused:
        await _enroll(cloud, data_dir, token, other.fingerprint)
    message = str(refused.value)
    assert cloud.ca_fingerprint in message
    assert other.fingerprint in message
    assert "--cloud" in message
    assert cloud.store.certificates.for_site(SITE) == []
    assert not IdentityPaths.under(data_dir).key.exists()


async def test_refused_enrollment_surfaces_the_gateway_reason_and_keeps_the_key(
    cloud: CloudSide, real_gateway: EdgeGateway, data_dir: Path
) -> None:
    await asyncio.to_thread(cloud.add_site, SITE)
    with pytest.raises(EnrollmentRefused, match="bootstrap token is not recognised"):
        await _enroll(cloud, data_dir, f"{SITE}.tok9.not-issued", cloud.ca_fingerprint)
    paths = IdentityPaths.under(data_dir)
    assert _mode(paths.key) == 0o600
    assert not paths.certificate.exists()
    assert not paths.record.exists()


async def test_rerun_after_a_failed_enroll_call_reuses_the_key(
    gateway: FakeGateway, data_dir: Path
) -> None:
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


async def test_enrolling_twice_is_refused(
    cloud: CloudSide, real_gateway: EdgeGateway, data_dir: Path
) -> None:
    await enroll_at(cloud, data_dir, SITE)
    with pytest.raises(IdentityError, match="already enrolled as site 'store-0042'"):
        await enroll_at(cloud, data_dir, SITE)
    assert len(cloud.store.certificates.for_site(SITE)) == 1


@pytest.mark.parametrize(
    "token", ["no-dots", "store-0042.only-two", "Bad_Site.tok.secret", "store-0042..secret"]
)
async def test_malformed_token_is_bad_input(
    cloud: CloudSide, real_gateway: EdgeGateway, data_dir: Path, token: str
) -> None:
    with pytest.raises(InvalidInput):
        await _enroll(cloud, data_dir, token, cloud.ca_fingerprint)
    assert not await asyncio.to_thread(data_dir.exists)
