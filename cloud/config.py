"""Typed configuration of the cloud coordinator (worker, gateway, ops CLI).

Loaded from an optional TOML file, then `COMMERCE_CLOUD_*` variables, then CLI flags.
`TEMPORAL_ADDRESS` and `TEMPORAL_NAMESPACE` are honoured as their usual names too.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, Field

from cloud.domains.config import DomainConfig
from cloud.domains.mapping_config import DomainMappingConfig
from shared.config import load_config


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ameide-commerce" / "cloud"


class CloudConfig(BaseModel):
    """Every setting of the cloud side, with its default."""

    model_config = {"frozen": True}

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the cloud keeps its SQLite store, site CA and dev-server files.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the cloud store; default: SQLite file cloud.db in data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")

    temporal_address: str | None = Field(
        default=None,
        description="host:port of a Temporal cluster; unset starts the embedded dev server.",
    )
    temporal_namespace: str = Field(default="default", description="Temporal namespace.")
    temporal_tls: bool = Field(default=False, description="Use TLS to reach Temporal.")
    temporal_tls_ca_path: Path | None = Field(
        default=None, description="CA bundle for Temporal TLS."
    )
    temporal_tls_cert_path: Path | None = Field(default=None, description="Client cert for mTLS.")
    temporal_tls_key_path: Path | None = Field(default=None, description="Client key for mTLS.")
    temporal_api_key: str | None = Field(default=None, description="API key (Temporal Cloud).")
    temporal_dev_port: int = Field(default=7233, description="Port of the embedded dev server.")
    temporal_ui_port: int = Field(
        default=8233, description="Web UI port of the embedded dev server."
    )
    temporal_ui: bool = Field(default=True, description="Serve the dev server's Web UI.")

    gateway_host: str = Field(default="127.0.0.1", description="Address the edge gateway binds.")
    gateway_public_names: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1"],
        description="DNS names and IPs agents use to reach the gateway (server certificate SANs).",
    )
    discovery_port: int = Field(
        default=8470, description="Plaintext port serving the trust bundle."
    )
    enroll_port: int = Field(default=8471, description="TLS port for enrollment.")
    control_port: int = Field(default=8472, description="mTLS port for renewals and control.")
    publish_host: str = Field(
        default="127.0.0.1",
        description="Address the change-publish service binds (plaintext gRPC for upstream "
        "systems inside the platform; keep it off public interfaces).",
    )
    publish_port: int = Field(
        default=8473, description="Port of the change-publish service (ChangePublishService)."
    )
    publish_max_message_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=4096,
        description="Largest publish request accepted (a batch of changes).",
    )
    gift_card_provider_url: str = Field(
        default="",
        description="Base URL of an external gift card provider; empty: the cloud store's own "
        "gift card ledger decides (see cloud/adapters/giftcard_http.py for the protocol).",
    )
    gift_card_provider_token: str = Field(
        default="", description="Bearer token for the external gift card provider."
    )
    gift_card_provider_timeout_seconds: float = Field(
        default=2.0, gt=0, description="How long one call to the gift card provider may take."
    )
    heartbeat_interval_seconds: int = Field(default=15, ge=1, description="Agent heartbeat period.")
    gateway_keepalive_time_seconds: float = Field(
        default=60, gt=0, description="How often the gateway pings an agent's quiet connection."
    )
    gateway_keepalive_timeout_seconds: float = Field(
        default=20,
        gt=0,
        description="How long a gateway ping may go unanswered before the agent's connection "
        "is closed (its session ends and the site shows as disconnected).",
    )
    gateway_min_agent_ping_interval_seconds: float = Field(
        default=10,
        gt=0,
        description="Shortest ping period the gateway accepts from an agent; agents pinging "
        "faster get GOAWAY too_many_pings. Keep it at or below the agents' "
        "keepalive_time_seconds (20 s by default).",
    )
    gateway_max_connection_idle_seconds: float = Field(
        default=300,
        gt=0,
        description="Close a connection with no call open for this long (discovery and "
        "enrollment clients that went away); a control stream is never idle.",
    )
    gateway_certificate_recheck_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="How long the gateway trusts a site certificate it found usable before "
        "asking the store again. A revoked site is refused by every service on the control "
        "port (control, sync, bundles, realtime) within this bound; 0 asks on every call.",
    )
    max_message_bytes: int = Field(
        default=256 * 1024, ge=4096, description="Largest message the gateway accepts from agents."
    )

    certificate_lifetime_days: float = Field(
        default=30, gt=0, description="Lifetime of site certificates; agents renew at two thirds."
    )
    bootstrap_token_ttl_hours: float = Field(
        default=24, gt=0, description="How long a bootstrap token may be used."
    )
    enrollment_timeout_hours: float = Field(
        default=24, gt=0, description="How long ProvisionStoreSite waits for the agent to enroll."
    )
    command_timeout_seconds: float = Field(
        default=900, gt=0, description="How long a site may take to acknowledge one command."
    )
    worker_task_queues: list[str] = Field(
        default_factory=list,
        description="Task queues this worker polls (comma-separated in the environment); empty "
        "polls every queue the cloud serves. The operator runs one worker pool per queue.",
    )
    rollout_install_retry_seconds: float = Field(
        default=300,
        gt=0,
        description="How often a rollout asks again a site that deferred an install (trading "
        "hours, an open basket, a cut download).",
    )
    rollout_site_offline_seconds: float = Field(
        default=900,
        gt=0,
        description="How long a rollout waits for a site's agent to take an install command "
        "before it counts the site offline and withdraws the command.",
    )
    rollout_install_poll_seconds: float = Field(
        default=2,
        gt=0,
        description="How often a rollout looks for a site's answer to an install command.",
    )
    min_agent_version: str = Field(
        default="0.1.0",
        description="Oldest edge agent version the cloud accepts, a floor on top of the "
        "compatibility matrix (cloud/compatibility/matrix.toml).",
    )
    domains: DomainConfig = Field(
        default_factory=DomainConfig,
        description="Storefront custom domains (the [domains] table of the TOML file).",
    )
    domain_mapping: DomainMappingConfig = Field(
        default_factory=DomainMappingConfig,
        description="ACME CA, storefront gateway and key sealing of domain mappings.",
    )

    @property
    def store_url(self) -> str:
        """The SQLAlchemy URL of the cloud store."""
        return self.database_url or f"sqlite:///{self.data_dir / 'cloud.db'}"

    @property
    def pki_dir(self) -> Path:
        """Where the site CA and the gateway's certificate live."""
        return self.data_dir / "pki"

    @property
    def certificate_lifetime(self) -> timedelta:
        return timedelta(days=self.certificate_lifetime_days)

    @property
    def bootstrap_token_ttl(self) -> timedelta:
        return timedelta(hours=self.bootstrap_token_ttl_hours)

    @property
    def enrollment_timeout(self) -> timedelta:
        return timedelta(hours=self.enrollment_timeout_hours)

    @property
    def command_timeout(self) -> timedelta:
        return timedelta(seconds=self.command_timeout_seconds)


def load_cloud_config(file: Path | None = None, **overrides: object) -> CloudConfig:
    """Load the cloud configuration (file -> environment -> overrides)."""
    env_file = os.environ.get("COMMERCE_CLOUD_CONFIG")
    path = file or (Path(env_file) if env_file else None)
    return load_config(
        CloudConfig,
        file=path,
        env_prefix="COMMERCE_CLOUD_",
        overrides=overrides,
        extra_env={
            "TEMPORAL_ADDRESS": "temporal_address",
            "TEMPORAL_NAMESPACE": "temporal_namespace",
            "TEMPORAL_API_KEY": "temporal_api_key",
        },
    )
