"""Immutable records the cloud store returns (one frozen dataclass per table row kind).

Adapter room: pure data, no I/O. Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ameide_core_proto.process.commerce.v1 import store_site_pb2

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelRecord:
    channel_id: str
    name: str
    streams: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class SiteRecord:
    site_id: str
    sales_channel_id: str
    name: str
    timezone: str
    agent_version: str
    # One of 'provisioning', 'ready', 'timed_out', 'revoked'.
    status: str
    generation: int
    # Kubernetes-style conditions as JSON objects (datetimes stored as ISO-8601 text).
    conditions: tuple[dict[str, Any], ...]
    certificate_serial: str | None
    config_generation: int | None
    last_seen_at: datetime | None
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None

    @property
    def revoked(self) -> bool:
        return self.status == "revoked"


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    site_id: str
    # Hex SHA-256 of the whole plaintext token; the plaintext is never stored.
    token_hash: str
    workflow_id: str
    expires_at: datetime
    used_at: datetime | None
    used_by_public_key_sha256: str | None
    revoked_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class NewCertificate:
    """A certificate the site CA just signed, before it is stored."""

    serial: str
    site_id: str
    pem: str
    public_key_sha256: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class NewFact:
    """A process fact to append, with its deterministic id and serialized `ProcessFact`."""

    fact_id: str
    fact_type: str
    subject: str
    occurred_at: datetime
    workflow_id: str
    run_id: str
    payload: bytes


@dataclass(frozen=True)
class CertificateRecord:
    serial: str
    site_id: str
    token_id: str | None
    pem: str
    public_key_sha256: str
    not_before: datetime
    not_after: datetime
    # 'enrollment' or 'renewal'.
    issued_via: str
    revoked_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class CommandRecord:
    seq: int
    command_id: str
    site_id: str
    kind: str
    payload: bytes
    task_token: bytes | None
    # One of 'pending', 'delivered', 'completed', 'failed'.
    status: str
    result: bytes | None
    error: str | None
    created_at: datetime
    delivered_at: datetime | None
    completed_at: datetime | None

    @property
    def finished(self) -> bool:
        """True once the agent reported a result (success or failure)."""
        return self.status in ("completed", "failed")


@dataclass(frozen=True)
class FactRecord:
    seq: int
    fact_id: str
    fact_type: str
    subject: str
    occurred_at: datetime
    workflow_id: str
    run_id: str
    payload: bytes


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AppliedReport:
    """The seq of one down stream a site's agent last reported as applied, and when."""

    applied_seq: int
    reported_at: datetime


@dataclass(frozen=True)
class SyncReport:
    """What a site's agent last reported about its replication (None: never reported)."""

    site_id: str
    applied: dict[str, AppliedReport]
    outbox_pending: int | None
    outbox_reported_at: datetime | None
    last_push_at: datetime | None


@dataclass(frozen=True)
class SiteRelease:
    """A site's release state as its agent last reported it."""

    site_id: str
    current_bundle: str
    last_known_good: str
    last_install_bundle: str
    # 'installed', 'rolled_back', 'already_current', or '' (never installed).
    last_install_outcome: str
    last_install_failed_step: str
    last_install_message: str
    reported_at: datetime


@dataclass(frozen=True)
class SiteCalendar:
    """A site's trading calendar and the config generation that carries it."""

    site_id: str
    calendar: store_site_pb2.TradingCalendar
    config_generation: int
    updated_at: datetime
    updated_by: str
