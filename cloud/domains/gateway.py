"""The storefront gateway port: which hostnames it serves, with which certificate, to where.

Domain room: pure records, the `StorefrontGateway` protocol and its errors; the embedded
adapter is `cloud.adapters.nginx_gateway`, the outside check `cloud.adapters.https_probe`.

    CommerceError
    └── GatewayError                 (retryable: may retrying help)
        ├── GatewayConfigRejected    the gateway refused the new config; the previous one
        │                            stays live and the message quotes why (not retryable)
        ├── GatewayUnavailable       the gateway is not running or did not reload (retryable)
        └── GatewayNotServing        the outside check did not see the new certificate or the
                                     storefront's answer yet (retryable)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from shared.errors import CommerceError, InvalidInput

# What reaches a config file must be a plain DNS name (normalized by cloud.domains.hostnames).
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
_UPSTREAM_URL = re.compile(
    r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/-]*)?$"
)


class GatewayError(CommerceError):
    retryable = False


class GatewayConfigRejected(GatewayError):
    retryable = False


class GatewayUnavailable(GatewayError):
    retryable = True


class GatewayNotServing(GatewayError):
    retryable = True


@dataclass(frozen=True)
class GatewayRoute:
    """Serve `hostname` over TLS with this certificate and key, proxying to `upstream_url`."""

    hostname: str
    fullchain_pem: str
    key_pem: bytes
    upstream_url: str

    def __post_init__(self) -> None:
        check_route_hostname(self.hostname)
        check_upstream_url(self.upstream_url)


def check_route_hostname(hostname: str) -> str:
    """`hostname` if it is a normalized DNS name, else InvalidInput saying so."""
    if not _HOSTNAME.match(hostname):
        raise InvalidInput(
            f"gateway route hostname {hostname!r} is not a normalized DNS name "
            "(lower-case ASCII labels; normalize it with cloud.domains.hostnames first)"
        )
    return hostname


def check_upstream_url(url: str) -> str:
    """`url` if it is http(s)://host[:port][/path] without spaces or config syntax."""
    if not _UPSTREAM_URL.match(url):
        raise InvalidInput(
            f"storefront upstream {url!r} must look like http://host:port or https://host/path "
            "(no spaces, quotes, ';', '{', '}', '$', query or fragment)"
        )
    return url


class StorefrontGateway(Protocol):
    """Adds, replaces and removes routes; each call is live (or refused) when it returns."""

    async def change(
        self, upserts: Sequence[GatewayRoute] = (), removals: Sequence[str] = ()
    ) -> None: ...

    def served_hostnames(self) -> list[str]: ...


@dataclass(frozen=True)
class ProbeResult:
    """What an HTTPS client saw for one hostname."""

    hostname: str
    certificate_serial_hex: str
    status: int
    body: str
