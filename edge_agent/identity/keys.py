"""The site's private key (EC P-256, made here, never sent anywhere) and its CSRs.

Touches `data_dir/identity/site.key` through `files`; everything else is pure `cryptography`.
"""

from __future__ import annotations

import logging

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from edge_agent.identity.files import PRIVATE_MODE, IdentityPaths, read_private, write_atomic
from shared.errors import IdentityError
from shared.identity import public_key_fingerprint, site_uri, validate_site_id

logger = logging.getLogger(__name__)


def load_or_create_key(paths: IdentityPaths) -> ec.EllipticCurvePrivateKey:
    """Reuse the key on disk (a rerun after a crash) or make one and store it with mode 0600."""
    if paths.key.exists():
        key = load_key(paths)
        logger.info("reusing site key %s (sha256 %s)", paths.key, _short(key))
        return key
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    paths.ensure_dir()
    write_atomic(paths.key, pem, PRIVATE_MODE)
    logger.info("created site key %s (sha256 %s)", paths.key, _short(key))
    return key


def load_key(paths: IdentityPaths) -> ec.EllipticCurvePrivateKey:
    """The site key on disk; `IdentityError` when it is missing or not an EC P-256 key."""
    try:
        pem = read_private(paths.key)
    except FileNotFoundError as exc:
        raise IdentityError(
            f"site key {paths.key} is missing; enroll this box with `commerce-edge enroll`"
        ) from exc
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise IdentityError(
            f"site key {paths.key} is not a readable PEM key ({exc}); remove "
            f"{paths.root} and enroll again with a new bootstrap token"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise IdentityError(f"site key {paths.key} is not an EC P-256 key; enroll again")
    return key


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def build_csr(key: ec.EllipticCurvePrivateKey, site_id: str) -> str:
    """PEM CSR with CN=<site_id> and the site URI SAN, signed by `key`."""
    validate_site_id(site_id)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, site_id)]))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(site_uri(site_id))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _short(key: ec.EllipticCurvePrivateKey) -> str:
    return public_key_fingerprint(key.public_key())[:16]
