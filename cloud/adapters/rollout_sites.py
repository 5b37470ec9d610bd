"""What rollouts need from sites, from the cloud's own records (adapter room).

`StoreSiteHealth` reads the cloud store: a site that is no longer ready (revoked, timed out),
whose agent reports more than `max_outbox_pending` records waiting to go up (the new build
does not push), or whose agent found its projection's rows not adding up to their checksums
(a damaged projection) is unhealthy; one its gateway has not seen within `online_within` is
offline. Every observed site's signals (status, last seen, last install, outbox depth,
replication lag, checksum results, error counts) come back in `ObservedSites.signals`.
`UnavailableSiteInstaller` is the installer of a cloud whose agents take no install command
yet: every install fails, non-retryable, saying so (the rollout halts on its canaries).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.exceptions import ApplicationError

from cloud.activities.rollout_messages import ObservedSites, SiteOutcome, SiteSignals
from cloud.adapters.store.records import SiteRecord, SiteRelease
from cloud.fleet_records import PublishedBundle
from cloud.ports import SiteHealthPort, SiteReleasesPort, SitesPort, SyncReportsPort
from cloud.site_health import SiteHealthReport


def _iso(at: datetime | None) -> str:
    return "" if at is None else at.astimezone(UTC).isoformat()


def site_signals(
    site: SiteRecord,
    outbox_pending: int | None,
    release: SiteRelease | None,
    health: SiteHealthReport | None,
) -> SiteSignals:
    """One site's signals from what the cloud store holds about it."""
    return SiteSignals(
        status=site.status,
        last_seen_at=_iso(site.last_seen_at),
        install_bundle=release.last_install_bundle if release else "",
        install_outcome=release.last_install_outcome if release else "",
        outbox_pending=outbox_pending,
        replication_lag=health.replication_lag if health else None,
        checksum_mismatches=list(health.checksum_mismatches) if health else [],
        checksums_verified_at=_iso(health.checksums_verified_at) if health else "",
        error_counts=dict(health.error_counts) if health else {},
        last_error=health.last_error if health else "",
        health_reported_at=_iso(health.reported_at) if health else "",
    )


class StoreSiteHealth:
    def __init__(
        self,
        sites: SitesPort,
        sync_reports: SyncReportsPort,
        online_within: timedelta = timedelta(minutes=5),
        max_outbox_pending: int = 500,
        *,
        site_health: SiteHealthPort | None = None,
        releases: SiteReleasesPort | None = None,
    ) -> None:
        self._sites = sites
        self._reports = sync_reports
        self._health = site_health
        self._releases = releases
        self._online_within = online_within
        self._max_outbox = max_outbox_pending

    async def observe(self, site_ids: list[str], bundle_id: str) -> ObservedSites:
        return await asyncio.to_thread(self._observe, site_ids)

    def _observe(self, site_ids: list[str]) -> ObservedSites:
        now = datetime.now(UTC)
        unhealthy: dict[str, str] = {}
        offline: list[str] = []
        signals: dict[str, SiteSignals] = {}
        health = self._health.get_many(site_ids) if self._health is not None else {}
        for site_id in site_ids:
            site = self._sites.get(site_id)
            if site is None:
                unhealthy[site_id] = "site is gone"
                continue
            pending = self._reports.get(site_id).outbox_pending
            release = self._releases.get(site_id) if self._releases is not None else None
            signals[site_id] = observed = site_signals(site, pending, release, health.get(site_id))
            if site.status != "ready":
                unhealthy[site_id] = f"site is {site.status}"
            elif site.last_seen_at is None or now - site.last_seen_at > self._online_within:
                offline.append(site_id)
            elif pending is not None and pending > self._max_outbox:
                unhealthy[site_id] = (
                    f"{pending} records wait in its outbox (more than {self._max_outbox})"
                )
            elif observed.checksum_mismatches:
                unhealthy[site_id] = (
                    "its projection's rows do not add up to their checksums in "
                    f"{', '.join(observed.checksum_mismatches)} (verified "
                    f"{observed.checksums_verified_at}): the store's copy is damaged"
                )
        return ObservedSites(unhealthy=unhealthy, offline=offline, signals=signals)


class UnavailableSiteInstaller:
    async def install(self, site_id: str, bundle: PublishedBundle) -> SiteOutcome:
        raise ApplicationError(
            f"site {site_id} cannot be told to install {bundle.bundle_id}: this cloud build "
            "has no install command for store agents",
            type="InstallerUnavailable",
            non_retryable=True,
        )

    async def roll_back(
        self, site_id: str, bundle: PublishedBundle, restore_bundle_id: str
    ) -> SiteOutcome:
        return await self.install(site_id, bundle)
