"""Bootstrap tokens: minted from a secret so the plaintext never enters a workflow history.

Adapter room: reads and creates `<pki_dir>/token.secret` (mode 0600). A token is
`<site_id>.<token_id>.<mac>` where mac = HMAC-SHA256(secret, "<site_id>.<token_id>");
the store keeps only SHA-256 of the whole token. Ops reveal a token from its id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from shared.errors import InvalidInput
from shared.identity import validate_site_id


class MalformedToken(InvalidInput):
    """A bootstrap token does not have the `<site_id>.<token_id>.<secret>` shape."""


def parse_token(token: str) -> tuple[str, str]:
    """Return (site_id, token_id) of a well-formed token, else `MalformedToken`."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts) or len(token) > 256:
        raise MalformedToken(
            "bootstrap token is malformed: expected <site_id>.<token_id>.<secret> as printed by "
            "`commerce-cloud sites provision`; copy it again without spaces or line breaks"
        )
    try:
        validate_site_id(parts[0])
    except InvalidInput as exc:
        raise MalformedToken(f"bootstrap token names an invalid site: {exc}") from exc
    return parts[0], parts[1]


def token_hash(token: str) -> str:
    """What the store keeps: hex SHA-256 of the whole token."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


class TokenMinter:
    """Derives bootstrap tokens from a per-installation secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("token secret must be at least 32 bytes")
        self._secret = secret

    @classmethod
    def open_or_create(cls, pki_dir: Path) -> TokenMinter:
        path = pki_dir / "token.secret"
        if not path.exists():
            pki_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        return cls(path.read_bytes())

    def token(self, site_id: str, token_id: str) -> str:
        """The plaintext token for `token_id` (same inputs, same token)."""
        message = f"{site_id}.{token_id}".encode()
        mac = hmac.new(self._secret, message, hashlib.sha256).digest()
        return f"{site_id}.{token_id}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
