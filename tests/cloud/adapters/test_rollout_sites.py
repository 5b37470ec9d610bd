"""The rollout's site adapters over a real cloud store: what the cloud's own records say about
sites after an install, and the installer of a cloud whose agents take no install command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from cloud.adapters.rollout_sites import StoreSiteHealth, UnavailableSiteInstaller
from cloud.adapters.store import CloudStore
from cloud.fleet_records import PublishedBundle


async def test_health_from_the_store_names_gone_and_silent_sites(tmp_path: Path) -> None:
    with CloudStore.open(f"sqlite:///{tmp_path / 'cloud.db'}") as store:
        store.channels.create("web-eu", "Web EU", [])
        for site_id in ("store-0001", "store-0002", "store-0003", "store-0004"):
            store.sites.create_or_get(site_id, "web-eu", site_id, "Europe/Berlin", "0.1.0")
            store.sites.mark_ready(site_id, f"serial-{site_id}", 1, [])
        now = datetime.now(UTC)
        store.sites.touch_last_seen(["store-0001", "store-0003", "store-0004"], now)
        store.sync_reports.record_push("store-0001", 3, now)
        store.sync_reports.record_push("store-0004", 9000, now)
        store.sites.revoke("store-0003", "stolen", "ops")
        store.sites.touch_last_seen(["store-0002"], now - timedelta(hours=1))

        observed = await StoreSiteHealth(store.sites, store.sync_reports).observe(
            ["store-0001", "store-0002", "store-0003", "store-0004", "store-0404"], "2026.11.1"
        )
    assert observed.unhealthy == {
        "store-0003": "site is revoked",
        "store-0004": "9000 records wait in its outbox (more than 500)",
        "store-0404": "site is gone",
    }
    assert observed.offline == ["store-0002"]


async def test_without_an_install_command_every_install_fails_for_good() -> None:
    bundle = PublishedBundle("2026.11.1", "a" * 64, 1, "{}", "k", "/b", 1, datetime.now(UTC), "x")
    with pytest.raises(ApplicationError) as refused:
        await UnavailableSiteInstaller().install("store-0001", bundle)
    assert refused.value.type == "InstallerUnavailable" and refused.value.non_retryable
