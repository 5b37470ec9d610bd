"""First enrollment: discover the cloud, check its CA against the pin, trade token + CSR for a cert.

Talks to the gateway's discovery (plaintext) and enrollment (TLS) ports; writes `identity/`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
from cryptography.hazmat.primitives import serialization

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.config import split_host_port
from edge_agent.identity.certificates import (
    CertificateFacts,
    check_pinned_ca,
    check_site_certificate,
    load_certificate,
)
from edge_agent.identity.files import (
    PRIVATE_MODE,
    PUBLIC_MODE,
    EnrollmentRecord,
    IdentityPaths,
    load_record,
    write_atomic,
)
from edge_agent.identity.keys import build_csr, load_or_create_key
from edge_agent.transport import (
    discovery_stub,
    enrollment_stub,
    plaintext_channel,
    target,
    tls_channel,
    unreachable,
)
from shared.errors import EnrollmentRefused, IdentityError, InvalidInput
from shared.grpc_status import IDENTITY_REJECTED
from shared.identity import certificate_fingerprint, normalize_fingerprint, validate_site_id

logger = logging.getLogger(__name__)

# Refusals: the gateway looked at the token or CSR and said no. Anything else is transport.
_REFUSALS = frozenset(
    {
        *IDENTITY_REJECTED,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.NOT_FOUND,
    }
)


@dataclass(frozen=True)
class BootstrapToken:
    """`<site_id>.<token_id>.<secret>`; the secret is never logged or shown."""

    site_id: str
    token_id: str
    secret: str

    @classmethod
    def parse(cls, text: str) -> BootstrapToken:
        parts = text.strip().split(".", 2)
        if len(parts) != 3 or not all(parts):
            raise InvalidInput(
                "bootstrap token must look like <site_id>.<token_id>.<secret>; copy it whole "
                "from the `commerce-cloud sites provision` output"
            )
        return cls(validate_site_id(parts[0]), parts[1], parts[2])

    def __str__(self) -> str:
        return f"{self.site_id}.{self.token_id}.{self.secret}"

    def __repr__(self) -> str:
        return f"BootstrapToken(site_id={self.site_id!r}, token_id={self.token_id!r})"


@dataclass(frozen=True)
class EnrollmentOutcome:
    """What `commerce-edge enroll` reports."""

    record: EnrollmentRecord
    certificate: CertificateFacts
    paths: IdentityPaths


def parse_cloud_address(address: str) -> tuple[str, int]:
    try:
        return split_host_port(address)
    except ValueError as exc:
        raise InvalidInput(f"--cloud {exc}") from exc


async def enroll(
    *,
    data_dir: Path,
    cloud: str,
    token: str,
    ca_fingerprint: str,
    agent_version: str,
    rpc_timeout: float = 15.0,
) -> EnrollmentOutcome:
    """Enroll this box as the token's site; files land under `data_dir/identity/`."""
    bootstrap = BootstrapToken.parse(token)
    try:
        pin = normalize_fingerprint(ca_fingerprint)
    except IdentityError as exc:  # a mistyped flag is bad input, not an identity failure
        raise InvalidInput(f"--ca-fingerprint: {exc}") from exc
    host, discovery_port = parse_cloud_address(cloud)
    paths = IdentityPaths.under(data_dir)
    existing = load_record(paths)
    if existing is not None:
        raise IdentityError(
            f"this box is already enrolled as site {existing.site_id!r} "
            f"(record {paths.record}); to enroll it again, stop the agent and remove {paths.root}"
        )

    bundle = await _discover(host, discovery_port, rpc_timeout)
    ca = check_pinned_ca(bundle.ca_certificate_pem, pin)
    logger.info("cloud CA matches the pinned fingerprint sha256:%s", pin)

    paths.ensure_dir()
    key = load_or_create_key(paths)  # on disk (0600) before any CSR leaves the box
    csr_pem = build_csr(key, bootstrap.site_id)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    response = await _enroll(
        host,
        bundle.enroll_port,
        ca_pem,
        edge_pb2.EnrollRequest(
            bootstrap_token=str(bootstrap),
            site_id=bootstrap.site_id,
            csr_pem=csr_pem,
            agent_version=agent_version,
        ),
        rpc_timeout,
    )
    if response.ca_certificate_pem:
        returned_ca = load_certificate(response.ca_certificate_pem, "the CA in the enroll answer")
        if certificate_fingerprint(returned_ca) != pin:
            raise IdentityError(
                "the enroll answer carries a CA other than the pinned one; "
                "report this to cloud operations"
            )
    cert = check_site_certificate(
        response.certificate_pem, ca=ca, key=key, site_id=bootstrap.site_id
    )

    write_atomic(paths.ca_certificate, ca_pem, PUBLIC_MODE)
    write_atomic(paths.certificate, cert.public_bytes(serialization.Encoding.PEM), PRIVATE_MODE)
    record = EnrollmentRecord(
        site_id=bootstrap.site_id,
        cloud_host=host,
        discovery_port=discovery_port,
        enroll_port=bundle.enroll_port,
        control_port=bundle.control_port,
        ca_fingerprint=pin,
        enrolled_at=datetime.now(UTC).isoformat(timespec="seconds"),
        agent_version=agent_version,
    )
    write_atomic(paths.record, record.to_json(), PUBLIC_MODE)  # last: marks enrollment done
    facts = CertificateFacts.of(cert)
    logger.info(
        "enrolled as site %s: certificate serial %s valid until %s",
        record.site_id,
        facts.serial_hex,
        facts.not_after.isoformat(),
    )
    return EnrollmentOutcome(record=record, certificate=facts, paths=paths)


async def _discover(host: str, port: int, rpc_timeout: float) -> edge_pb2.GetTrustBundleResponse:
    async with plaintext_channel(host, port) as channel:
        stub = discovery_stub(channel)
        try:
            bundle: edge_pb2.GetTrustBundleResponse = await stub.GetTrustBundle(
                edge_pb2.GetTrustBundleRequest(), timeout=rpc_timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise unreachable(exc, "discovery", target(host, port)) from exc
    if not bundle.ca_certificate_pem or bundle.enroll_port <= 0 or bundle.control_port <= 0:
        raise IdentityError(
            f"discovery at {target(host, port)} returned an incomplete trust bundle; "
            "check that --cloud names the gateway's discovery port"
        )
    return bundle


async def _enroll(
    host: str, port: int, ca_pem: bytes, request: edge_pb2.EnrollRequest, rpc_timeout: float
) -> edge_pb2.EnrollResponse:
    async with tls_channel(host, port, ca_pem) as channel:
        stub = enrollment_stub(channel)
        try:
            response: edge_pb2.EnrollResponse = await stub.Enroll(request, timeout=rpc_timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in _REFUSALS:
                raise EnrollmentRefused(
                    f"the cloud refused to enroll site {request.site_id!r}: "
                    f"{exc.details() or exc.code().name}. The site key stays in place; "
                    "ask cloud operations for a new bootstrap token if this one is spent or "
                    "expired"
                ) from exc
            raise unreachable(exc, "enrollment", target(host, port)) from exc
    return response
