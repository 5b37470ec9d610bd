"""The cloud store facade: one object holding every repository over one engine.

Adapter room: the composition roots (worker, gateway, CLI) open it; activities and the
gateway receive it (or one of its repositories) as a port.
"""

from __future__ import annotations

import logging
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloud.adapters.store._db import Database
from cloud.adapters.store.audit import AuditLog
from cloud.adapters.store.certificates import CertificateRepository
from cloud.adapters.store.changes import ChangeLog
from cloud.adapters.store.channels import ChannelRepository
from cloud.adapters.store.commands import CommandQueue
from cloud.adapters.store.domain_certificates import DomainCertificateRepository
from cloud.adapters.store.domain_claims import DomainClaimRepository
from cloud.adapters.store.errors import StoreUnavailable
from cloud.adapters.store.facts import FactLog
from cloud.adapters.store.fleet_versions import (
    BundleRepository,
    CompatMatrixRepository,
    SiteLabelRepository,
)
from cloud.adapters.store.ingest import IngestRepository
from cloud.adapters.store.realtime import RealtimeCases, RealtimeLedger, RealtimePolicies
from cloud.adapters.store.site_health import SiteHealthRepository
from cloud.adapters.store.site_releases import SiteCalendarRepository, SiteReleaseRepository
from cloud.adapters.store.sites import SiteRepository
from cloud.adapters.store.sync_reports import SyncReportRepository
from cloud.adapters.store.tokens import TokenRepository
from cloud.store.engine import make_engine
from cloud.store.migrate import upgrade_engine

logger = logging.getLogger(__name__)


class CloudStore:
    """Repositories of the cloud store. Methods are synchronous: call them from threads
    (e.g. `asyncio.to_thread`) in async code."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        db = Database(engine)
        self.channels = ChannelRepository(db)
        self.sites = SiteRepository(db)
        self.tokens = TokenRepository(db)
        self.certificates = CertificateRepository(db)
        self.commands = CommandQueue(db)
        self.facts = FactLog(db)
        self.audit = AuditLog(db)
        self.changes = ChangeLog(db)
        self.ingest = IngestRepository(db)
        self.sync_reports = SyncReportRepository(db)
        self.site_health = SiteHealthRepository(db)
        self.domain_claims = DomainClaimRepository(db)
        self.realtime = RealtimeLedger(db)
        self.realtime_cases = RealtimeCases(db)
        self.compat_matrices = CompatMatrixRepository(db)
        self.bundles = BundleRepository(db)
        self.site_releases = SiteReleaseRepository(db)
        self.site_calendars = SiteCalendarRepository(db)
        self.site_labels = SiteLabelRepository(db)
        self.realtime_policies = RealtimePolicies(db)
        self.domain_certificates = DomainCertificateRepository(db)

    @classmethod
    def open(cls, url: str) -> CloudStore:
        """Connect to `url`, bring its schema to the newest revision, return the store."""
        engine = make_engine(url)
        try:
            upgrade_engine(engine)
        except sa_exc.DBAPIError as exc:
            engine.dispose()
            raise StoreUnavailable(
                f"cannot open the cloud store at {engine.url.render_as_string()}: {exc.orig}; "
                "check database_url and that the database server is running"
            ) from exc
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> CloudStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
