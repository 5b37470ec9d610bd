"""Builds the domain service from a CloudConfig, the opened store and a Temporal connector.

Composition room: the CLI, the demo and tests share it; the challenge secret file lives in
the PKI directory and is made on first use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio.client import Client

from cloud.adapters.challenge_secret import open_or_create_challenge_secret
from cloud.adapters.dns import dns_resolver
from cloud.adapters.store import CloudStore
from cloud.adapters.temporal_domains import TemporalDomainRuns
from cloud.config import CloudConfig
from cloud.services.domains import DomainService

__all__ = ["domain_service"]


def domain_service(
    config: CloudConfig,
    store: CloudStore,
    connect: Callable[[], Awaitable[Client]],
    *,
    actor: str,
) -> DomainService:
    """The domain service over `store`, reaching Temporal through `connect` when needed."""
    settings = config.domains
    secret: list[bytes] = []

    def challenge_secret() -> bytes:
        if not secret:
            secret.append(open_or_create_challenge_secret(config.pki_dir))
        return secret[0]

    return DomainService(
        store.domain_claims,
        store.audit,
        TemporalDomainRuns(connect),
        dns_resolver(settings),
        settings,
        challenge_secret,
        actor=actor,
    )
