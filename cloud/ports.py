"""Ports of the cloud store: what activities, the gateway and the services need from it.

Port room: `typing.Protocol`s only. The records and errors they speak in are the store's pure
data (`cloud.adapters.store.records`, `cloud.adapters.store.errors`); the composition roots
hand in `CloudStore` (or a test double), which satisfies every protocol here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from ameide_core_proto.process.commerce.v1 import edge_pb2, records_pb2, store_site_pb2, sync_pb2
from cloud.adapters.store.changes import (
    AppendResult,
    ChangeBatch,
    EncodedBatch,
    EncodedSnapshotPage,
    SnapshotPage,
)
from cloud.adapters.store.ingest import IngestResult, RegisterDayTotal
from cloud.adapters.store.records import (
    AuditRecord,
    CertificateRecord,
    ChannelRecord,
    CommandRecord,
    FactRecord,
    NewCertificate,
    NewFact,
    SiteCalendar,
    SiteRecord,
    SiteRelease,
    SyncReport,
    TokenRecord,
)
from cloud.fleet_records import PublishedBundle
from cloud.site_health import SiteHealthReport
from shared.checksums import TableDigest

__all__ = [
    "AuditPort",
    "CertificatesPort",
    "ChangeLogPort",
    "ChannelsPort",
    "CommandsPort",
    "FactsPort",
    "IngestPort",
    "PublishedBundlesPort",
    "SiteCalendarsPort",
    "SiteReleasesPort",
    "SitesPort",
    "StorePort",
    "SyncReportsPort",
    "TokenSource",
    "TokensPort",
]


class ChannelsPort(Protocol):
    """Sales channels."""

    def create(
        self, channel_id: str, name: str, streams: Sequence[str], at: datetime | None = None
    ) -> ChannelRecord: ...

    def get(self, channel_id: str) -> ChannelRecord | None: ...

    def list(self) -> list[ChannelRecord]: ...


class SitesPort(Protocol):
    """Store sites and their status."""

    def create_or_get(
        self,
        site_id: str,
        sales_channel_id: str,
        name: str,
        timezone: str,
        agent_version: str,
        at: datetime | None = None,
    ) -> SiteRecord: ...

    def get(self, site_id: str) -> SiteRecord | None: ...

    def list(
        self, status: str | None = None, *, after: str = "", limit: int | None = None
    ) -> list[SiteRecord]: ...

    def set_conditions(
        self,
        site_id: str,
        status: str,
        conditions: Sequence[Any],
        at: datetime | None = None,
    ) -> None: ...

    def mark_ready(
        self,
        site_id: str,
        certificate_serial: str,
        config_generation: int,
        conditions: Sequence[Any],
        at: datetime | None = None,
    ) -> None: ...

    def revoke(
        self,
        site_id: str,
        reason: str,
        actor: str,
        *,
        fact: NewFact | None = None,
        at: datetime | None = None,
    ) -> SiteRecord: ...

    def touch_last_seen(self, site_ids: Sequence[str], at: datetime) -> None: ...

    def next_config_generation(self, site_id: str) -> int: ...


class TokensPort(Protocol):
    """Bootstrap tokens (stored hashed)."""

    def issue(
        self,
        token_id: str,
        site_id: str,
        token_hash: str,
        workflow_id: str,
        expires_at: datetime,
        at: datetime | None = None,
    ) -> TokenRecord: ...

    def get(self, token_id: str) -> TokenRecord | None: ...

    def get_by_hash(self, token_hash: str) -> TokenRecord | None: ...

    def latest_usable_for_site(self, site_id: str, now: datetime) -> TokenRecord | None: ...

    def revoke_unused_for_site(self, site_id: str, at: datetime) -> int: ...


class CertificatesPort(Protocol):
    """Site certificates: enrollment, renewal, revocation checks."""

    def enroll(
        self,
        token_id: str,
        cert: NewCertificate,
        at: datetime,
        *,
        token_hash: str | None = None,
    ) -> CertificateRecord: ...

    def add_renewal(
        self, cert: NewCertificate, at: datetime | None = None
    ) -> CertificateRecord: ...

    def is_usable(self, serial: str, site_id: str, now: datetime) -> bool: ...

    def revoked_serials_since(
        self, cursor: datetime | None
    ) -> tuple[list[str], datetime | None]: ...


class CommandsPort(Protocol):
    """The durable per-site command queue."""

    def enqueue(
        self,
        command_id: str,
        site_id: str,
        kind: str,
        payload: bytes,
        task_token: bytes,
        at: datetime | None = None,
    ) -> CommandRecord: ...

    def get(self, command_id: str) -> CommandRecord | None: ...

    def pending_for_site(self, site_id: str) -> list[CommandRecord]: ...

    def directs_install(self, site_id: str, bundle_id: str) -> bool: ...

    def pending_after(self, seq: int, limit: int = 1000) -> list[CommandRecord]: ...

    def mark_delivered(self, command_id: str, at: datetime) -> None: ...

    def complete(
        self,
        command_id: str,
        site_id: str,
        ok: bool,
        result: bytes,
        error: str,
        at: datetime,
        *,
        final: bool = True,
    ) -> CommandRecord | None: ...


class FactsPort(Protocol):
    """The append-only process-fact log."""

    def append(
        self,
        fact_id: str,
        fact_type: str,
        subject: str,
        occurred_at: datetime,
        workflow_id: str,
        run_id: str,
        payload: bytes,
    ) -> bool: ...

    def tail(
        self, after_seq: int = 0, limit: int = 100, subject: str | None = None
    ) -> list[FactRecord]: ...

    def latest(self, subject: str, fact_type: str) -> FactRecord | None: ...


class AuditPort(Protocol):
    """The audit log."""

    def record(
        self,
        actor: str,
        action: str,
        subject: str,
        detail: Mapping[str, Any],
        at: datetime | None = None,
    ) -> None: ...

    def list(self, subject: str | None = None, limit: int = 100) -> list[AuditRecord]: ...


class TokenSource(Protocol):
    """Derives the plaintext bootstrap token of a token id (the store keeps only its hash)."""

    def token(self, site_id: str, token_id: str) -> str: ...


class StorePort(Protocol):
    """Every repository of the cloud store (read-only attributes, so any store fits)."""

    @property
    def channels(self) -> ChannelsPort: ...

    @property
    def sites(self) -> SitesPort: ...

    @property
    def tokens(self) -> TokensPort: ...

    @property
    def certificates(self) -> CertificatesPort: ...

    @property
    def commands(self) -> CommandsPort: ...

    @property
    def facts(self) -> FactsPort: ...

    @property
    def audit(self) -> AuditPort: ...

    @property
    def changes(self) -> ChangeLogPort: ...

    @property
    def ingest(self) -> IngestPort: ...

    @property
    def sync_reports(self) -> SyncReportsPort: ...

    @property
    def site_health(self) -> SiteHealthPort: ...

    @property
    def bundles(self) -> PublishedBundlesPort: ...

    @property
    def site_releases(self) -> SiteReleasesPort: ...

    @property
    def site_calendars(self) -> SiteCalendarsPort: ...


class SiteReleasesPort(Protocol):
    """The release state each site's agent reports (see `cloud.adapters.store.site_releases`)."""

    def record(self, site_id: str, installed: edge_pb2.InstalledBundles, at: datetime) -> None: ...

    def get(self, site_id: str) -> SiteRelease | None: ...

    def all(self) -> dict[str, SiteRelease]: ...


class SiteCalendarsPort(Protocol):
    """Trading calendars of sites (see `cloud.adapters.store.site_releases`)."""

    def get(self, site_id: str) -> SiteCalendar | None: ...

    def set(
        self,
        site_id: str,
        calendar: store_site_pb2.TradingCalendar,
        timezone: str,
        config_generation: int,
        actor: str,
        at: datetime,
    ) -> None: ...

    def config_applied(self, site_id: str, generation: int) -> None: ...


class PublishedBundlesPort(Protocol):
    """Published version bundles (see `cloud.adapters.store.fleet_versions`)."""

    def get(self, bundle_id: str) -> PublishedBundle | None: ...


class ChangeLogPort(Protocol):
    """The per-stream change log of the down streams (see `cloud.adapters.store.changes`)."""

    def append(
        self,
        changes_in: Sequence[records_pb2.Change],
        publish_id: str | None = None,
        at: datetime | None = None,
    ) -> AppendResult: ...

    def head(self, stream: str, scopes: Sequence[str] | None = None) -> int: ...

    def floor(self, stream: str) -> int: ...

    def read(
        self, stream: str, scopes: Sequence[str], after_seq: int, limit: int = 1000
    ) -> ChangeBatch: ...

    def read_encoded(
        self, stream: str, scopes: Sequence[str], after_seq: int, limit: int = 1000
    ) -> EncodedBatch: ...

    def compact(self, stream: str, before_seq: int) -> int: ...

    def snapshot(
        self,
        stream: str,
        scopes: Sequence[str],
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> SnapshotPage: ...

    def snapshot_encoded(
        self,
        stream: str,
        scopes: Sequence[str],
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> EncodedSnapshotPage: ...

    def checksum(self, stream: str, scopes: Sequence[str]) -> TableDigest: ...

    def oldest_after(
        self, stream: str, scopes: Sequence[str], after_seq: int
    ) -> datetime | None: ...


class IngestPort(Protocol):
    """Records stores push up, stored once per idempotency key."""

    def ingest(
        self,
        site_id: str,
        batch_id: str,
        records: Sequence[sync_pb2.UpstreamRecord],
        at: datetime | None = None,
    ) -> IngestResult: ...

    def register_day_totals(self, site_id: str) -> list[RegisterDayTotal]: ...


class SyncReportsPort(Protocol):
    """What sites' agents last reported about their replication (see
    `cloud.adapters.store.sync_reports`)."""

    def record_pull(
        self,
        site_id: str,
        applied: Mapping[str, int],
        outbox_pending: int | None,
        at: datetime,
    ) -> None: ...

    def record_push(self, site_id: str, outbox_pending: int | None, at: datetime) -> None: ...

    def get(self, site_id: str) -> SyncReport: ...


class SiteHealthPort(Protocol):
    """The health each site's agent last reported (see `cloud.adapters.store.site_health`)."""

    def record(self, site_id: str, report: SiteHealthReport) -> None: ...

    def get(self, site_id: str) -> SiteHealthReport | None: ...

    def get_many(self, site_ids: Iterable[str]) -> dict[str, SiteHealthReport]: ...
