"""Publisher keys of bundles: Ed25519 key files, key ids, the trusted set (shared room).

Touches only the key files it is asked to read or write. A key id is the first 16 hex digits
of the SHA-256 of the raw 32-byte public key; it names the key in signatures and listings.
Several keys may be trusted at once, so a publisher rotates keys without a flag day: agents
trust old and new, bundles are signed with the new, the old is dropped later.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.bundles._errors import BundleError, BundleIOError


class KeyFileInvalid(BundleError):
    """A key file is not an Ed25519 key in PEM form."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """The id of a public key: 16 hex digits of the SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def generate_key_pair(private_path: Path, public_path: Path) -> str:
    """Write a new Ed25519 key pair (private key mode 0600); return its key id.

    Refuses to overwrite an existing private key file.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise BundleError(
            f"{private_path} exists; choose another path (a key is never overwritten)"
        ) from exc
    except OSError as exc:
        raise BundleIOError(f"cannot create {private_path}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    try:
        public_path.write_bytes(public_key_pem(key.public_key()))
    except OSError as exc:
        raise BundleIOError(f"cannot write {public_path}: {exc.strerror}") from exc
    return key_id(key.public_key())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileInvalid(f"key file {path} does not exist") from exc
    except OSError as exc:
        raise BundleIOError(f"cannot read key file {path}: {exc.strerror}") from exc


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (PEM, PKCS8, unencrypted)."""
    try:
        key = serialization.load_pem_private_key(_read(path), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileInvalid(
            f"{path} is not an unencrypted PEM private key; make one with "
            "'commerce-cloud bundles keygen'"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileInvalid(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key_pem(data: bytes, source: str) -> Ed25519PublicKey:
    """Parse an Ed25519 public key from PEM bytes; `source` names where they came from."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyFileInvalid(f"{source} is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileInvalid(f"{source} holds a {type(key).__name__}, not an Ed25519 key")
    return key


@dataclass(frozen=True)
class TrustedKeys:
    """The publisher keys a verifier trusts, by key id."""

    keys: Mapping[str, Ed25519PublicKey]

    @classmethod
    def of(cls, public_keys: Iterable[Ed25519PublicKey]) -> TrustedKeys:
        return cls({key_id(k): k for k in public_keys})

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> TrustedKeys:
        """Trust the public keys in these PEM files; a directory means every `*.pem` in it."""
        keys: list[Ed25519PublicKey] = []
        for path in paths:
            files = sorted(path.glob("*.pem")) if path.is_dir() else [path]
            keys.extend(load_public_key_pem(_read(f), str(f)) for f in files)
        return cls.of(keys)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.keys))

    def __len__(self) -> int:
        return len(self.keys)
