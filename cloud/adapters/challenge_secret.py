"""The secret that binds TXT challenge values to tenant and claim.

Adapter room: reads and creates `<dir>/domain-challenge.secret` (32 random bytes, mode 0600).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

_FILE = "domain-challenge.secret"


def open_or_create_challenge_secret(directory: Path) -> bytes:
    """The installation's challenge secret, made on first use."""
    path = directory / _FILE
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        secret = _create(directory, path)
    if len(secret) < 32:
        raise ValueError(f"{path} holds {len(secret)} bytes; delete it to make a new secret")
    return secret


def _create(directory: Path, path: Path) -> bytes:
    """Write a new secret under a temporary name and link it into place, so a concurrent
    reader sees either no file or the whole secret; whoever links first wins."""
    directory.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd, partial = tempfile.mkstemp(prefix=f".{_FILE}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secret)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(partial, path)
        except FileExistsError:
            return path.read_bytes()  # another caller made it first
    finally:
        os.unlink(partial)
    return secret
