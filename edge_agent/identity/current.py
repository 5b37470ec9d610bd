"""The identity this box holds now: record, key, certificate and CA, read from `identity/`.

Reads files only; the control client and renewal read it afresh before each connection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from edge_agent.errors import NotEnrolled
from edge_agent.identity.certificates import CertificateFacts, load_certificate
from edge_agent.identity.files import EnrollmentRecord, IdentityPaths, load_record, read_private
from edge_agent.identity.keys import key_pem, load_key
from shared.errors import IdentityError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteIdentity:
    """Everything needed to dial the control endpoint as this site."""

    paths: IdentityPaths
    record: EnrollmentRecord
    key: ec.EllipticCurvePrivateKey
    certificate_pem: bytes
    ca_pem: bytes
    certificate: CertificateFacts

    @property
    def site_id(self) -> str:
        return self.record.site_id

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)


def load_identity(data_dir: Path) -> SiteIdentity:
    """The enrolled identity; `NotEnrolled` or `IdentityError` saying what to do otherwise."""
    paths = IdentityPaths.under(data_dir)
    record = load_record(paths)
    if record is None:
        raise NotEnrolled(
            f"this box is not enrolled (no {paths.record}); run `commerce-edge enroll "
            "--cloud HOST:PORT --token TOKEN --ca-fingerprint SHA256` first"
        )
    try:
        cert_pem = read_private(paths.certificate)
        ca_pem = paths.ca_certificate.read_bytes()
    except FileNotFoundError as exc:
        raise IdentityError(
            f"{exc.filename} is missing although {paths.record} exists; remove {paths.root} "
            "and enroll again with a new bootstrap token"
        ) from exc
    facts = CertificateFacts.of(load_certificate(cert_pem, f"certificate {paths.certificate}"))
    if facts.site_id != record.site_id:
        raise IdentityError(
            f"certificate {paths.certificate} names site {facts.site_id!r} but the enrollment "
            f"record says {record.site_id!r}; remove {paths.root} and enroll again"
        )
    load_certificate(ca_pem, f"CA certificate {paths.ca_certificate}")
    return SiteIdentity(
        paths=paths,
        record=record,
        key=load_key(paths),
        certificate_pem=cert_pem,
        ca_pem=ca_pem,
        certificate=facts,
    )
