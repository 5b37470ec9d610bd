"""The site CA: key file mode, site binding, and refusal of CSRs it must not sign."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from cloud.adapters.pki import CsrRejected, FileCertificateAuthority, parse_site_csr
from cloud.adapters.tokens import MalformedToken, TokenMinter, parse_token, token_hash
from shared.identity import certificate_fingerprint, site_id_of_certificate, site_uri


def _csr(site_ids: list[str], key: object | None = None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    )
    if site_ids:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(site_uri(s)) for s in site_ids]
            ),
            critical=False,
        )
    csr = builder.sign(key, hashes.SHA256())  # type: ignore[arg-type]
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_ca_is_created_once_with_a_private_key_file(tmp_path: Path) -> None:
    ca = FileCertificateAuthority.open_or_create(tmp_path / "pki")
    key_file = tmp_path / "pki" / "site-ca.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = FileCertificateAuthority.open_or_create(tmp_path / "pki")
    assert again.ca_fingerprint() == ca.ca_fingerprint()
    cert = x509.load_pem_x509_certificate(ca.ca_certificate_pem().encode())
    assert certificate_fingerprint(cert) == ca.ca_fingerprint()


def test_site_certificate_binds_the_site_and_expires(tmp_path: Path) -> None:
    ca = FileCertificateAuthority.open_or_create(tmp_path)
    now = datetime.now(UTC)
    issued = ca.sign_site_certificate(parse_site_csr(_csr(["store-7"])), timedelta(days=30), now)
    cert = x509.load_pem_x509_certificate(issued.pem.encode())
    assert site_id_of_certificate(cert) == "store-7"
    assert abs(cert.not_valid_after_utc - (now + timedelta(days=30))) < timedelta(seconds=1)
    assert issued.serial == format(cert.serial_number, "x")


@pytest.mark.parametrize(
    ("pem", "why"),
    [
        ("garbage", "not a PEM-encoded PKCS#10"),
        (_csr([]), "does not name a valid site"),
        (_csr(["store-1", "store-2"]), "does not name a valid site"),
        (
            _csr(["store-1"], rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "EC P-256",
        ),
        ("x" * 10_000, "larger than"),
    ],
)
def test_bad_csrs_are_refused(pem: str, why: str) -> None:
    with pytest.raises(CsrRejected, match=why):
        parse_site_csr(pem)


def test_tokens_are_derived_and_only_their_hash_identifies_them(tmp_path: Path) -> None:
    minter = TokenMinter.open_or_create(tmp_path)
    assert stat.S_IMODE((tmp_path / "token.secret").stat().st_mode) == 0o600
    token = minter.token("store-1", "t123")
    assert token == TokenMinter.open_or_create(tmp_path).token("store-1", "t123")
    assert parse_token(token) == ("store-1", "t123")
    assert token_hash(token) != token_hash(minter.token("store-1", "t124"))
    for bad in ("", "a.b", "Store_1.t.x", "store-1..x", "a" * 300):
        with pytest.raises(MalformedToken):
            parse_token(bad)


def test_short_lived_certificates_are_not_backdated_past_their_renewal_point(
    tmp_path: Path,
) -> None:
    ca = FileCertificateAuthority.open_or_create(tmp_path)
    now = datetime.now(UTC)
    issued = ca.sign_site_certificate(parse_site_csr(_csr(["store-7"])), timedelta(seconds=30), now)
    renew_at = issued.not_before + (issued.not_after - issued.not_before) * 2 / 3
    assert renew_at > now
