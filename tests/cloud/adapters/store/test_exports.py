from __future__ import annotations

import cloud.adapters.store as store_package


def test_exported_names_are_pinned() -> None:
    assert sorted(store_package.__all__) == sorted(
        [
            "REVOCATION_OVERLAP",
            "AppendResult",
            "AppliedReport",
            "SyncReport",
            "SyncReportRepository",
            "BehindCompactionFloor",
            "ChangeBatch",
            "ChangeLog",
            "ForeignSiteRecord",
            "IngestRepository",
            "IngestResult",
            "RegisterDayTotal",
            "SnapshotPage",
            "AuditLog",
            "AuditRecord",
            "CertificateConflict",
            "CertificateRecord",
            "CertificateRepository",
            "ChannelConflict",
            "ChannelRecord",
            "ChannelRepository",
            "CloudStore",
            "CommandConflict",
            "CommandQueue",
            "CommandRecord",
            "FactLog",
            "FactRecord",
            "NewCertificate",
            "NewFact",
            "PublishConflict",
            "SiteConflict",
            "SiteRecord",
            "SiteRepository",
            "SiteRevoked",
            "StoreError",
            "StoreUnavailable",
            "TokenRecord",
            "TokenRejected",
            "TokenRejection",
            "TokenRepository",
            "UnknownChannel",
            "UnknownSite",
        ]
    )
    for name in store_package.__all__:
        assert getattr(store_package, name) is not None
