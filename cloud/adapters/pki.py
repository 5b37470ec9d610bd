"""The site certificate authority: creates the CA, signs site and gateway certificates.

Adapter room: the only cloud module that touches CA key material. `CertificateAuthority`
is the port; `FileCertificateAuthority` keeps the key in a 0600 file and a KMS-backed
implementation can replace it without touching callers.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.errors import IdentityError, InvalidInput
from shared.identity import (
    certificate_fingerprint,
    public_key_fingerprint,
    site_id_of_csr,
    site_uri,
)

logger = logging.getLogger(__name__)

_CA_LIFETIME = timedelta(days=3650)
_BACKDATE = timedelta(minutes=5)
MAX_CSR_PEM_BYTES = 8192


class CsrRejected(InvalidInput):
    """A certificate signing request is malformed or asks for the wrong thing."""


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate the CA signed, in the forms callers store and send."""

    serial: str
    pem: str
    public_key_sha256: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class ValidCsr:
    """A CSR that passed every check, with what the CA needs from it."""

    csr: x509.CertificateSigningRequest
    site_id: str
    public_key_sha256: str


class CertificateAuthority(Protocol):
    """What the gateway needs from a CA."""

    def ca_certificate_pem(self) -> str: ...

    def ca_fingerprint(self) -> str: ...

    def sign_site_certificate(
        self, csr: ValidCsr, lifetime: timedelta, now: datetime
    ) -> IssuedCertificate: ...

    def issue_server_certificate(
        self, names: list[str], lifetime: timedelta = ...
    ) -> tuple[str, str]: ...


def parse_site_csr(csr_pem: str) -> ValidCsr:
    """Parse and check a site CSR: PEM PKCS#10, valid signature, EC P-256, one site URI."""
    if len(csr_pem.encode()) > MAX_CSR_PEM_BYTES:
        raise CsrRejected(f"CSR is larger than {MAX_CSR_PEM_BYTES} bytes; send one PEM request")
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as exc:
        raise CsrRejected("CSR is not a PEM-encoded PKCS#10 certificate request") from exc
    try:
        valid_signature = csr.is_signature_valid
    except (InvalidSignature, ValueError):
        valid_signature = False
    if not valid_signature:
        raise CsrRejected("CSR signature does not verify; regenerate the request with the site key")
    key = csr.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise CsrRejected("CSR key must be an EC P-256 key made on the store server")
    try:
        site_id = site_id_of_csr(csr)
    except (IdentityError, InvalidInput) as exc:
        raise CsrRejected(f"CSR does not name a valid site: {exc}") from exc
    return ValidCsr(csr=csr, site_id=site_id, public_key_sha256=public_key_fingerprint(key))


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class FileCertificateAuthority:
    """A site CA whose EC P-256 key lives in `<pki_dir>/site-ca.key` (mode 0600)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
        self._key = key
        self._cert = cert

    @classmethod
    def open_or_create(
        cls, pki_dir: Path, *, common_name: str = "Ameide Commerce Site CA"
    ) -> FileCertificateAuthority:
        """Load the CA from `pki_dir`, creating it on first start."""
        key_path, cert_path = pki_dir / "site-ca.key", pki_dir / "site-ca.crt"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise IdentityError(f"{key_path} does not hold an EC private key")
            return cls(key, x509.load_pem_x509_certificate(cert_path.read_bytes()))
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_private(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        logger.info("created site CA %s (sha256 %s)", cert_path, certificate_fingerprint(cert))
        return cls(key, cert)

    def ca_certificate_pem(self) -> str:
        return self._cert.public_bytes(serialization.Encoding.PEM).decode()

    def ca_fingerprint(self) -> str:
        return certificate_fingerprint(self._cert)

    def _builder(
        self,
        subject: x509.Name,
        public_key: ec.EllipticCurvePublicKey,
        not_before: datetime,
        not_after: datetime,
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), False
            )
        )

    def sign_site_certificate(
        self, csr: ValidCsr, lifetime: timedelta, now: datetime
    ) -> IssuedCertificate:
        """Sign a client certificate binding `csr.site_id` as its URI SAN."""
        key = csr.csr.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)  # parse_site_csr checked it
        # Backdate for clock skew, but never by a share of the lifetime that would make the
        # agent's two-thirds renewal point fall in the past.
        not_before, not_after = now - min(_BACKDATE, lifetime / 10), now + lifetime
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, csr.site_id)])
        cert = (
            self._builder(subject, key, not_before, not_after)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(site_uri(csr.site_id))]
                ),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .sign(self._key, hashes.SHA256())
        )
        return IssuedCertificate(
            serial=format(cert.serial_number, "x"),
            pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            public_key_sha256=csr.public_key_sha256,
            not_before=not_before,
            not_after=not_after,
        )

    def issue_server_certificate(
        self, names: list[str], lifetime: timedelta = timedelta(days=90)
    ) -> tuple[str, str]:
        """A fresh key and server certificate for the gateway; returns (cert PEM, key PEM)."""
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        now = datetime.now(UTC)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "commerce-edge-gateway")])
        cert = (
            self._builder(subject, key.public_key(), now - _BACKDATE, now + lifetime)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem
