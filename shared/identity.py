"""Naming rules of store-site identities, shared by the gateway and the agent.

A site's certificate carries its id as a URI SAN `urn:ameide:commerce:site:<site_id>`.
Pure functions over `cryptography` objects; no I/O.
"""

from __future__ import annotations

import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from shared.errors import IdentityError
from shared.naming import validate_site_id as validate_site_id  # re-exported

SITE_URI_PREFIX = "urn:ameide:commerce:site:"


def site_uri(site_id: str) -> str:
    """The URI SAN that binds `site_id` into a certificate."""
    return SITE_URI_PREFIX + validate_site_id(site_id)


def _site_ids_in(names: x509.SubjectAlternativeName) -> list[str]:
    uris = names.get_values_for_type(x509.UniformResourceIdentifier)
    return [u[len(SITE_URI_PREFIX) :] for u in uris if u.startswith(SITE_URI_PREFIX)]


def site_id_of_certificate(cert: x509.Certificate) -> str:
    """The site id bound into `cert`, or `IdentityError` when there is not exactly one."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise IdentityError("certificate has no subject alternative name with a site id") from exc
    ids = _site_ids_in(san)
    if len(ids) != 1:
        raise IdentityError(f"certificate must name exactly one site, found {len(ids)}")
    return validate_site_id(ids[0])


def site_id_of_csr(csr: x509.CertificateSigningRequest) -> str:
    """The site id a CSR asks for, or `IdentityError` when there is not exactly one."""
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise IdentityError("CSR has no subject alternative name with a site id") from exc
    ids = _site_ids_in(san)
    if len(ids) != 1:
        raise IdentityError(f"CSR must name exactly one site, found {len(ids)}")
    return validate_site_id(ids[0])


def certificate_fingerprint(cert: x509.Certificate) -> str:
    """Hex SHA-256 over the certificate's DER encoding (what installers pin)."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def public_key_fingerprint(public_key: object) -> str:
    """Hex SHA-256 over a public key's DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def normalize_fingerprint(value: str) -> str:
    """Accept `AB:CD:...`, `sha256:abcd...` or plain hex; return lowercase hex."""
    text = value.strip().lower().removeprefix("sha256:").replace(":", "")
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise IdentityError(
            f"CA fingerprint {value!r} is not a SHA-256 hex digest (64 hex characters, "
            "colons allowed); copy it from `commerce-cloud sites provision` output"
        )
    return text
