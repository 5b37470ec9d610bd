"""What rollouts need from sites, from the cloud's own records (adapter room).

`StoreSiteHealth` reads the cloud store: a site that is no longer ready (revoked, timed out)
or whose agent reports more than `max_outbox_pending` records waiting to go up (the new build
does not push) is unhealthy; one its gateway has not seen within `online_within` is offline.
`UnavailableSiteInstaller` is the installer of a cloud whose agents take no install command
yet: every install fails, non-retryable, saying so (the rollout halts on its canaries).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.exceptions import ApplicationError

from cloud.activities.rollout_messages import ObservedSites, SiteOutcome
from cloud.fleet_records import PublishedBundle
from cloud.ports import SitesPort, SyncReportsPort


class StoreSiteHealth:
    def __init__(
        self,
        sites: SitesPort,
        sync_reports: SyncReportsPort,
        online_within: timedelta = timedelta(minutes=5),
        max_outbox_pending: int = 500,
    ) -> None:
        self._sites = sites
        self._reports = sync_reports
        self._online_within = online_within
        self._max_outbox = max_outbox_pending

    async def observe(self, site_ids: list[str], bundle_id: str) -> ObservedSites:
        return await asyncio.to_thread(self._observe, site_ids)

    def _observe(self, site_ids: list[str]) -> ObservedSites:
        now = datetime.now(UTC)
        unhealthy: dict[str, str] = {}
        offline: list[str] = []
        for site_id in site_ids:
            site = self._sites.get(site_id)
            if site is None or site.status != "ready":
                unhealthy[site_id] = f"site is {site.status if site else 'gone'}"
            elif site.last_seen_at is None or now - site.last_seen_at > self._online_within:
                offline.append(site_id)
            else:
                pending = self._reports.get(site_id).outbox_pending
                if pending is not None and pending > self._max_outbox:
                    unhealthy[site_id] = (
                        f"{pending} records wait in its outbox (more than {self._max_outbox})"
                    )
        return ObservedSites(unhealthy=unhealthy, offline=offline)


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
