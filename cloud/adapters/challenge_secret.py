"""The secret that binds TXT challenge values to tenant and claim.

Adapter room: reads and creates `<dir>/domain-challenge.secret` (32 random bytes, mode 0600).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_FILE = "domain-challenge.secret"


def open_or_create_challenge_secret(directory: Path) -> bytes:
    """The installation's challenge secret, made on first use."""
    path = directory / _FILE
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        directory.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()  # another process made it first
        with os.fdopen(fd, "wb") as out:
            out.write(secret)
            out.flush()
            os.fsync(out.fileno())
    if len(secret) < 32:
        raise ValueError(f"{path} holds {len(secret)} bytes; delete it to make a new secret")
    return secret
