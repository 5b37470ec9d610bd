"""Builds the ops services from a CloudConfig: the CLI, the demo and the benchmark share it.

Composition room: opens the cloud store, the token minter and the site CA (the last two on
first use, so read-only commands create no key material) and wires them into the services;
`provisioning` adds the Temporal adapter for a connected client.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from temporalio.client import Client

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.adapters.pki import FileCertificateAuthority
from cloud.adapters.store import CloudStore
from cloud.adapters.temporal_provisioning import TemporalProvisioning
from cloud.adapters.temporal_replication import TemporalReplication
from cloud.adapters.temporal_schedules import TemporalFleetSchedules
from cloud.adapters.tokens import TokenMinter
from cloud.composition.compat_wiring import matrix_compatibility
from cloud.config import CloudConfig
from cloud.services import (
    ChannelService,
    DataService,
    EnrollmentIssuer,
    FactService,
    FleetService,
    ProvisioningService,
    ProvisioningWorkflows,
    ProvisionRun,
    ReplicationService,
    SiteService,
)
from cloud.services.sync_status import SyncStatusService
from cloud.temporal.connect import TemporalSettings, connect_client

__all__ = ["OpsServices", "cloud_address", "open_ops"]

logger = logging.getLogger(__name__)


def cloud_address(config: CloudConfig) -> str:
    """host:port an installer's agent dials first (the gateway's discovery listener)."""
    host = config.gateway_public_names[0] if config.gateway_public_names else "localhost"
    return f"{host}:{config.discovery_port}"


class _LazyMinter:
    def __init__(self, config: CloudConfig) -> None:
        self._config = config
        self._minter: TokenMinter | None = None

    def token(self, site_id: str, token_id: str) -> str:
        if self._minter is None:
            self._minter = TokenMinter.open_or_create(self._config.pki_dir)
        return self._minter.token(site_id, token_id)


class _LazyCa:
    def __init__(self, config: CloudConfig) -> None:
        self._config = config
        self._fingerprint: str | None = None

    def ca_fingerprint(self) -> str:
        if self._fingerprint is None:
            ca = FileCertificateAuthority.open_or_create(self._config.pki_dir)
            self._fingerprint = ca.ca_fingerprint()
        return self._fingerprint


class _ConnectOnce:
    """Connects to the configured Temporal on the first call, then hands out that client."""

    def __init__(self, config: CloudConfig) -> None:
        self._config = config
        self._client: Client | None = None

    async def __call__(self) -> Client:
        if self._client is None:
            self._client = await connect_client(TemporalSettings.from_cloud_config(self._config))
        return self._client

    def forget(self) -> None:
        """Drop the client while the interpreter still runs: a Temporal client freed during
        interpreter shutdown can abort the process (its runtime threads outlive Python's)."""
        self._client = None


class _ConnectOnFirstStart:
    """`ProvisioningWorkflows` that connects to the configured Temporal when first used, so
    input checks and store-only commands never need Temporal to be up."""

    def __init__(self, temporal: _ConnectOnce) -> None:
        self._temporal = temporal

    async def start(self, request: store_site_pb2.ProvisionStoreSiteInput) -> ProvisionRun:
        return await TemporalProvisioning(await self._temporal()).start(request)


@dataclass
class OpsServices:
    """The services of one ops session over one opened store; `close` releases the store."""

    config: CloudConfig
    store: CloudStore
    channels: ChannelService
    sites: SiteService
    facts: FactService
    sync_status: SyncStatusService
    data: DataService
    enrollments: EnrollmentIssuer
    provisioning: ProvisioningService
    """Connects to the configured Temporal on its first start."""
    replication: ReplicationService
    """Connects to the configured Temporal on its first run."""
    fleet: FleetService
    """Connects to the configured Temporal on first use."""
    temporal: _ConnectOnce
    """The Temporal client the services above share, made on first use."""

    def provisioning_through(self, client: Client) -> ProvisioningService:
        """A provisioning service starting workflows through an already connected `client`."""
        workflows = TemporalProvisioning(client)
        return _provisioning(self.config, self.store, self.enrollments, workflows)

    def replication_through(self, client: Client) -> ReplicationService:
        """A replication service running workflows through an already connected `client`."""
        return ReplicationService(self.store.sites, TemporalReplication(_given(client)))

    def fleet_through(self, client: Client) -> FleetService:
        """A fleet service through an already connected `client`."""
        return FleetService(
            TemporalReplication(_given(client)), TemporalFleetSchedules(_given(client))
        )

    def close(self) -> None:
        self.temporal.forget()
        self.store.close()


def open_ops(config: CloudConfig, *, actor: str = "ops") -> OpsServices:
    """Open the store and wire the services; `actor` is who the audit log names."""
    opened = CloudStore.open(config.store_url)
    enrollments = EnrollmentIssuer(_LazyMinter(config), _LazyCa(config), cloud_address(config))
    temporal = _ConnectOnce(config)
    return OpsServices(
        config=config,
        store=opened,
        channels=ChannelService(opened.channels, opened.audit, actor=actor),
        sites=SiteService(
            opened.sites,
            opened.tokens,
            enrollments,
            releases=opened.site_releases,
            calendars=opened.site_calendars,
            health=opened.site_health,
        ),
        facts=FactService(opened.facts),
        sync_status=SyncStatusService(
            opened.sites, opened.channels, opened.changes, opened.sync_reports, opened.facts
        ),
        data=DataService(opened.changes),
        enrollments=enrollments,
        provisioning=_provisioning(config, opened, enrollments, _ConnectOnFirstStart(temporal)),
        replication=ReplicationService(opened.sites, TemporalReplication(temporal)),
        fleet=FleetService(TemporalReplication(temporal), TemporalFleetSchedules(temporal)),
        temporal=temporal,
    )


def _given(client: Client) -> Callable[[], Awaitable[Client]]:
    async def connected() -> Client:
        return client

    return connected


def _provisioning(
    config: CloudConfig,
    store: CloudStore,
    enrollments: EnrollmentIssuer,
    workflows: ProvisioningWorkflows,
) -> ProvisioningService:
    return ProvisioningService(
        store.channels,
        matrix_compatibility(store.compat_matrices, config.min_agent_version),
        workflows,
        enrollments,
    )


