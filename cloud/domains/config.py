"""Settings of storefront custom domains (the `[domains]` table of the cloud config).

Domain room: a typed pydantic model, no I/O; `CloudConfig.domains` holds it.
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, Field, field_validator

from cloud.workflows.domain_schedule import DEFAULT_DEADLINE_SECONDS, DEFAULT_INTERVALS_SECONDS


class DomainConfig(BaseModel):
    """How claims are checked and what their DNS must show."""

    model_config = {"frozen": True}

    platform_domains: list[str] = Field(
        default_factory=lambda: ["storefront.localhost"],
        description="The platform's own domains: names at or under them cannot be claimed.",
    )
    cname_target: str = Field(
        default="edge.storefront.localhost",
        description="The name a claimed hostname's CNAME must point at.",
    )
    gateway_addresses: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Addresses of the storefront gateway (A/AAAA targets for apex names).",
    )
    dns_resolvers: list[str] = Field(
        default_factory=list,
        description="host:port of the DNS servers checks ask instead of each zone's own "
        "authoritative servers (a split-horizon resolver, or a test DNS).",
    )
    dns_bootstrap_resolvers: list[str] = Field(
        default_factory=list,
        description="host:port of the resolvers that find a zone's authoritative servers; "
        "empty: the system's resolvers.",
    )
    dns_authoritative_port: int = Field(
        default=53, gt=0, lt=65536, description="Port the authoritative servers answer on."
    )
    dns_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long one DNS question may take, retries included."
    )
    cdn_cidrs: list[str] = Field(
        default_factory=lambda: [
            "104.16.0.0/13",
            "172.64.0.0/13",
            "151.101.0.0/16",
            "13.32.0.0/15",
        ],
        description="Address ranges of CDNs/proxies: a name resolving into them is "
        "ProxyInterference.",
    )
    cdn_cname_suffixes: list[str] = Field(
        default_factory=lambda: [
            "cdn.cloudflare.net",
            "fastly.net",
            "cloudfront.net",
            "akamaiedge.net",
            "edgekey.net",
            "azureedge.net",
        ],
        description="CNAME target suffixes of CDNs/proxies (ProxyInterference).",
    )
    check_intervals_seconds: list[float] = Field(
        default_factory=lambda: list(DEFAULT_INTERVALS_SECONDS),
        description="Waits between DNS checks of a claim; the last one repeats.",
    )
    verify_deadline_seconds: float = Field(
        default=DEFAULT_DEADLINE_SECONDS,
        gt=0,
        le=30 * 24 * 3600,
        description="How long a claim may wait for its records before it fails (72 h by "
        "default, at most 30 days).",
    )
    cooldown_days: float = Field(
        default=7,
        ge=0,
        description="After a hostname is released, how long only its last tenant may claim it.",
    )

    @field_validator("check_intervals_seconds")
    @classmethod
    def _positive_intervals(cls, value: list[float]) -> list[float]:
        if not value or any(v <= 0 for v in value):
            raise ValueError("give one or more positive numbers of seconds, e.g. [60, 300, 3600]")
        return value

    @field_validator("cdn_cidrs", "gateway_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or CIDR range") from exc
        return value

    @field_validator("dns_resolvers", "dns_bootstrap_resolvers")
    @classmethod
    def _resolvers(cls, value: list[str]) -> list[str]:
        for item in value:
            host, _, port = item.rpartition(":")
            try:
                ipaddress.ip_address(host.strip("[]"))
                ok = port.isdigit() and 0 < int(port) < 65536
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(
                    f"{item!r} is not host:port with an IP address, e.g. 192.0.2.53:53"
                )
        return value
