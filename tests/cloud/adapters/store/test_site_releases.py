"""Site release states and trading calendars in the cloud store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2
from cloud.adapters.store import CloudStore, SiteRecord
from shared.errors import InvalidInput, NotFound
from tests.cloud.adapters.store.builders import NOW


def installed(current: str, outcome: int = 0, **last: str) -> edge_pb2.InstalledBundles:
    return edge_pb2.InstalledBundles(
        current_bundle=current,
        last_known_good=current,
        last_install=edge_pb2.BundleInstallReport(outcome=outcome, **last),  # type: ignore[arg-type]
    )


def test_the_newest_report_wins_per_site(store: CloudStore, site: SiteRecord) -> None:
    assert store.site_releases.get(site.site_id) is None
    store.site_releases.record(site.site_id, installed("base"), NOW)
    later = NOW + timedelta(minutes=5)
    store.site_releases.record(
        site.site_id,
        installed(
            "base",
            edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK,
            bundle_id="2026.11.1",
            failed_step="health-gate",
            message="POS UI is not served",
        ),
        later,
    )
    release = store.site_releases.get(site.site_id)
    assert release is not None
    assert (release.current_bundle, release.last_known_good) == ("base", "base")
    assert (release.last_install_bundle, release.last_install_outcome) == (
        "2026.11.1",
        "rolled_back",
    )
    assert release.last_install_failed_step == "health-gate"
    assert release.reported_at == later
    assert list(store.site_releases.all()) == [site.site_id]


def test_a_report_without_a_current_bundle_is_refused(store: CloudStore, site: SiteRecord) -> None:
    with pytest.raises(InvalidInput, match="no current bundle"):
        store.site_releases.record(site.site_id, edge_pb2.InstalledBundles(), NOW)
    assert store.site_releases.get(site.site_id) is None


def test_a_calendar_is_stored_with_its_timezone_and_only_under_a_newer_generation(
    store: CloudStore, site: SiteRecord
) -> None:
    calendar = store_site_pb2.TradingCalendar(
        hours=[store_site_pb2.TradingHours(weekday=1, opens="08:00", closes="21:00")],
        closed_dates=["2026-12-25"],
    )
    store.site_calendars.set(site.site_id, calendar, "Europe/Amsterdam", 2, "ops:test", NOW)
    stored = store.site_calendars.get(site.site_id)
    assert stored is not None
    assert (stored.calendar, stored.config_generation) == (calendar, 2)
    site_now = store.sites.get(site.site_id)
    assert site_now is not None and site_now.timezone == "Europe/Amsterdam"
    with pytest.raises(InvalidInput, match="already has configuration generation 2"):
        store.site_calendars.set(
            site.site_id, store_site_pb2.TradingCalendar(), "Europe/Berlin", 2, "ops:test", NOW
        )
    site_now = store.sites.get(site.site_id)
    assert site_now is not None and site_now.timezone == "Europe/Amsterdam"
    with pytest.raises(NotFound, match="store-9999 does not exist"):
        store.site_calendars.set("store-9999", calendar, "Europe/Berlin", 1, "ops:test", NOW)
