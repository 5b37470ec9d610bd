"""Checks on certificates the cloud hands the agent, and facts about the one it holds.

Pure `cryptography` over PEM bytes; no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.errors import IdentityError, TrustError
from shared.identity import certificate_fingerprint, normalize_fingerprint, site_id_of_certificate


def load_certificate(pem: bytes | str, what: str) -> x509.Certificate:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise IdentityError(f"{what} is not a PEM certificate ({exc})") from exc


def check_pinned_ca(ca_pem: str, pinned_fingerprint: str) -> x509.Certificate:
    """The CA when its SHA-256 over DER equals the pin, else `TrustError` naming both."""
    expected = normalize_fingerprint(pinned_fingerprint)
    ca = load_certificate(ca_pem, "the CA certificate the cloud presented")
    actual = certificate_fingerprint(ca)
    if actual != expected:
        raise TrustError(
            f"the cloud presented a CA with fingerprint sha256:{actual}, but "
            f"--ca-fingerprint pins sha256:{expected}; check that --cloud points at your "
            "commerce cloud and that the fingerprint was copied from "
            "`commerce-cloud sites provision` output of that cloud. Nothing was sent."
        )
    return ca


def check_site_certificate(
    cert_pem: str, *, ca: x509.Certificate, key: ec.EllipticCurvePrivateKey, site_id: str
) -> x509.Certificate:
    """The certificate when it is for our key and site and issued by `ca`, else `IdentityError`."""
    cert = load_certificate(cert_pem, "the certificate the cloud returned")
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise TrustError(
            f"the certificate the cloud returned was not issued by the pinned CA ({exc!r}); "
            "report this to cloud operations"
        ) from exc
    ours = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    theirs = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if ours != theirs:
        raise IdentityError(
            "the certificate the cloud returned is for another key; report this to cloud operations"
        )
    named = site_id_of_certificate(cert)
    if named != site_id:
        raise IdentityError(
            f"the certificate the cloud returned names site {named!r}, not {site_id!r}; "
            "report this to cloud operations"
        )
    return cert


@dataclass(frozen=True)
class CertificateFacts:
    """What `status` and the renewal check need to know about a certificate."""

    site_id: str
    serial_hex: str
    not_before: datetime
    not_after: datetime
    sha256: str

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertificateFacts:
        return cls(
            site_id=site_id_of_certificate(cert),
            serial_hex=format(cert.serial_number, "x"),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            sha256=hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
        )

    def renew_at(self) -> datetime:
        """Two thirds into the lifetime."""
        return self.not_before + (self.not_after - self.not_before) * 2 / 3

    def due_for_renewal(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.renew_at()

    def days_left(self, now: datetime | None = None) -> float:
        return (self.not_after - (now or datetime.now(UTC))).total_seconds() / 86400
