from __future__ import annotations

from datetime import timedelta

import pytest

from cloud.adapters.store import (
    ChannelConflict,
    CloudStore,
    SiteConflict,
    SiteRecord,
    SiteRevoked,
    UnknownChannel,
    UnknownSite,
)
from shared.errors import InvalidInput, InvalidSiteId, NotFound
from tests.cloud.adapters.store.builders import NOW


def test_channel_create_is_idempotent_and_refuses_other_values(store: CloudStore) -> None:
    first = store.channels.create("retail-eu", "Retail EU", ["catalog", "prices"])
    again = store.channels.create("retail-eu", "Retail EU", ["catalog", "prices"])
    assert again == first
    assert first.streams == ("catalog", "prices")
    with pytest.raises(ChannelConflict, match=r"streams .*'prices'.*!= .*'stock'"):
        store.channels.create("retail-eu", "Retail EU", ["catalog", "stock"])
    assert store.channels.get("retail-eu") == first
    assert store.channels.get("nope") is None
    store.channels.create("b2b", "B2B", [])
    assert [c.channel_id for c in store.channels.list()] == ["b2b", "retail-eu"]


def test_create_or_get_returns_existing_site_for_same_values(
    store: CloudStore, site: SiteRecord
) -> None:
    assert site.status == "provisioning"
    assert site.generation == 1
    assert site.conditions == ()
    assert site.created_at.tzinfo is not None
    again = store.sites.create_or_get(
        "store-0042", "retail-eu", "Berlin Mitte", "Europe/Berlin", "1.2.0"
    )
    assert again == site
    assert store.sites.get("store-0042") == site


def test_create_or_get_conflict_names_the_differing_fields(
    store: CloudStore, site: SiteRecord
) -> None:
    with pytest.raises(SiteConflict) as caught:
        store.sites.create_or_get("store-0042", "retail-eu", "Berlin Ost", "Europe/Paris", "1.2.0")
    assert caught.value.fields == ("name", "timezone")
    message = str(caught.value)
    assert "store-0042" in message
    assert "'Berlin Mitte' != 'Berlin Ost'" in message
    assert "'Europe/Berlin' != 'Europe/Paris'" in message
    assert "agent_version" not in message
    assert isinstance(caught.value, InvalidInput)
    assert store.sites.get("store-0042") == site


def test_unknown_channel_creates_nothing(store: CloudStore) -> None:
    with pytest.raises(UnknownChannel, match="'nowhere' does not exist") as caught:
        store.sites.create_or_get("store-0001", "nowhere", "A", "UTC", "1.0.0")
    assert isinstance(caught.value, NotFound)
    assert store.sites.get("store-0001") is None


def test_invalid_site_id_is_refused(store: CloudStore) -> None:
    store.channels.create("retail-eu", "Retail EU", [])
    with pytest.raises(InvalidSiteId):
        store.sites.create_or_get("Store_42", "retail-eu", "A", "UTC", "1.0.0")
    assert store.sites.list() == []


def test_conditions_status_and_ready(store: CloudStore, site: SiteRecord) -> None:
    conditions = [
        {
            "type": "Enrolled",
            "status": "True",
            "reason": "CertificateIssued",
            "message": "",
            "last_transition_time": NOW,
            "observed_generation": 1,
        },
    ]
    store.sites.set_conditions(site.site_id, "provisioning", conditions)
    stored = store.sites.get(site.site_id)
    assert stored is not None
    assert stored.conditions[0]["last_transition_time"] == NOW.isoformat()
    store.sites.mark_ready(site.site_id, "abc123", 7, conditions)
    ready = store.sites.get(site.site_id)
    assert ready is not None
    assert (ready.status, ready.certificate_serial, ready.config_generation) == (
        "ready",
        "abc123",
        7,
    )
    assert [s.site_id for s in store.sites.list(status="ready")] == ["store-0042"]
    assert store.sites.list(status="provisioning") == []
    with pytest.raises(InvalidInput, match="unknown site status"):
        store.sites.list(status="bogus")
    with pytest.raises(UnknownSite):
        store.sites.set_conditions("store-9999", "ready", [])


def test_revoked_site_refuses_status_changes(store: CloudStore, site: SiteRecord) -> None:
    revoked = store.sites.revoke(site.site_id, "stolen server", actor="ops:alice")
    assert revoked.status == "revoked"
    assert revoked.revoked_reason == "stolen server"
    assert revoked.generation == 2
    with pytest.raises(SiteRevoked, match="store-0042 is revoked"):
        store.sites.mark_ready(site.site_id, "abc", 1, [])
    assert store.sites.revoke(site.site_id, "again", actor="ops:bob") == revoked
    audit = store.audit.list(subject=site.site_id)
    assert [(a.action, a.actor) for a in audit] == [("site.revoked", "ops:alice")]
    with pytest.raises(UnknownSite, match="'store-9999' does not exist"):
        store.sites.revoke("store-9999", "typo", actor="ops:alice")


def test_touch_last_seen_only_moves_forward(store: CloudStore, site: SiteRecord) -> None:
    store.sites.create_or_get("store-0043", "retail-eu", "Hamburg", "Europe/Berlin", "1.2.0")
    store.sites.touch_last_seen(["store-0042", "store-0043", "store-unknown"], NOW)
    store.sites.touch_last_seen(["store-0042"], NOW - timedelta(minutes=5))
    seen = {s.site_id: s.last_seen_at for s in store.sites.list()}
    assert seen == {"store-0042": NOW, "store-0043": NOW}
    with pytest.raises(InvalidInput, match="no timezone"):
        store.sites.touch_last_seen(["store-0042"], NOW.replace(tzinfo=None))
