"""ACME challenge solvers: where a challenge answer is published for the CA to find.

Adapter room: `WebrootHttp01Solver` writes files under the storefront gateway's webroot (nginx
serves `/.well-known/acme-challenge/` from it on port 80); `DelegatedDns01Solver` writes the TXT
answer at the platform-zone name that `_acme-challenge.<host>` is a CNAME to, through a
`Dns01Publisher` port (RFC 2136 in production, pebble-challtestsrv's API in tests).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)

CHALLENGE_PATH = Path(".well-known") / "acme-challenge"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _checked_token(token: str) -> str:
    if not _TOKEN.match(token):
        raise ValueError(f"ACME challenge token {token!r} is not base64url; refusing to write it")
    return token


class WebrootHttp01Solver:
    """HTTP-01: the key authorization as a file `<webroot>/.well-known/acme-challenge/<token>`."""

    def __init__(self, webroot: Path) -> None:
        self._dir = webroot / CHALLENGE_PATH

    def present(self, hostname: str, token: str, validation: str) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        target = self._dir / _checked_token(token)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(validation)
        os.chmod(partial, 0o644)
        partial.replace(target)
        logger.debug("HTTP-01 answer for %s at %s", hostname, target)

    def cleanup(self, hostname: str, token: str) -> None:
        (self._dir / _checked_token(token)).unlink(missing_ok=True)


class Dns01Publisher(Protocol):
    """Sets and clears TXT records in a zone the platform controls."""

    def set_txt(self, name: str, value: str) -> None: ...

    def clear_txt(self, name: str) -> None: ...


def delegation_target(hostname: str, zone: str) -> str:
    """The platform-zone name `_acme-challenge.<hostname>` must be a CNAME to."""
    return f"{hostname}.{zone.strip('.')}"


class DelegatedDns01Solver:
    """DNS-01 by CNAME delegation: the merchant sets `_acme-challenge.<host> CNAME
    <host>.<zone>` once; each order writes its TXT answer at `<host>.<zone>`."""

    def __init__(self, zone: str, publisher: Dns01Publisher) -> None:
        self._zone = zone
        self._publisher = publisher

    def present(self, hostname: str, token: str, validation: str) -> None:
        self._publisher.set_txt(delegation_target(hostname, self._zone), validation)

    def cleanup(self, hostname: str, token: str) -> None:
        self._publisher.clear_txt(delegation_target(hostname, self._zone))
