"""The cloud store's repositories over SQLAlchemy Core (SQLite file or PostgreSQL).

Adapter room: the only package that talks to the cloud database; schema and migrations
live in `cloud.store`.
"""

from cloud.adapters.store.audit import AuditLog
from cloud.adapters.store.certificates import REVOCATION_OVERLAP, CertificateRepository
from cloud.adapters.store.changes import (
    AppendResult,
    BehindCompactionFloor,
    ChangeBatch,
    ChangeLog,
    PublishConflict,
    SnapshotPage,
)
from cloud.adapters.store.channels import ChannelRepository
from cloud.adapters.store.commands import CommandQueue
from cloud.adapters.store.errors import (
    CertificateConflict,
    ChannelConflict,
    CommandConflict,
    SiteConflict,
    SiteRevoked,
    StoreError,
    StoreUnavailable,
    TokenRejected,
    TokenRejection,
    UnknownChannel,
    UnknownSite,
)
from cloud.adapters.store.facts import FactLog
from cloud.adapters.store.ingest import (
    ForeignSiteRecord,
    IngestRepository,
    IngestResult,
    RegisterDayTotal,
)
from cloud.adapters.store.records import (
    AppliedReport,
    AuditRecord,
    CertificateRecord,
    ChannelRecord,
    CommandRecord,
    FactRecord,
    NewCertificate,
    NewFact,
    SiteRecord,
    SyncReport,
    TokenRecord,
)
from cloud.adapters.store.sites import SiteRepository
from cloud.adapters.store.store import CloudStore
from cloud.adapters.store.sync_reports import SyncReportRepository
from cloud.adapters.store.tokens import TokenRepository

__all__ = [
    "REVOCATION_OVERLAP",
    "AppendResult",
    "AppliedReport",
    "AuditLog",
    "AuditRecord",
    "BehindCompactionFloor",
    "CertificateConflict",
    "CertificateRecord",
    "CertificateRepository",
    "ChangeBatch",
    "ChangeLog",
    "ChannelConflict",
    "ChannelRecord",
    "ChannelRepository",
    "CloudStore",
    "CommandConflict",
    "CommandQueue",
    "CommandRecord",
    "FactLog",
    "FactRecord",
    "ForeignSiteRecord",
    "IngestRepository",
    "IngestResult",
    "NewCertificate",
    "NewFact",
    "PublishConflict",
    "RegisterDayTotal",
    "SiteConflict",
    "SiteRecord",
    "SiteRepository",
    "SiteRevoked",
    "SnapshotPage",
    "StoreError",
    "StoreUnavailable",
    "SyncReport",
    "SyncReportRepository",
    "TokenRecord",
    "TokenRejected",
    "TokenRejection",
    "TokenRepository",
    "UnknownChannel",
    "UnknownSite",
]
