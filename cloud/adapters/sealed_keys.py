"""Sealing of private keys at rest (Fernet: AES-128-CBC + HMAC-SHA256, from `cryptography`).

Adapter room: reads (or creates, 0600) the sealing key file named by the config; seals and
opens key PEMs. The only module that handles the sealing key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from shared.errors import ConfigError

logger = logging.getLogger(__name__)


class KeySealer:
    """Seals private keys with one Fernet key."""

    def __init__(self, fernet_key: bytes) -> None:
        try:
            self._fernet = Fernet(fernet_key)
        except ValueError as error:
            raise ConfigError(
                "domain_mapping.key_encryption_key_file must hold a Fernet key (32 url-safe "
                f"base64 bytes, `Fernet.generate_key()`): {error}"
            ) from error

    @classmethod
    def open_or_create(cls, path: Path) -> KeySealer:
        """The sealer whose key is in `path`; a new key is written (0600) when it is absent."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
            logger.info("created the key-sealing key %s", path)
        return cls(path.read_bytes().strip())

    def seal(self, key_pem: bytes) -> bytes:
        return self._fernet.encrypt(key_pem)

    def open(self, sealed: bytes) -> bytes:
        try:
            return self._fernet.decrypt(sealed)
        except InvalidToken as error:
            raise ConfigError(
                "a stored certificate key does not open with the configured "
                "domain_mapping.key_encryption_key_file; restore the key file it was sealed with"
            ) from error
