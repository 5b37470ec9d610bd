"""Site configurations the cloud builds, over the real cloud store (SQLite and PostgreSQL):
each takes a new generation, carries the overrides in force, and reaches a site that is
still provisioning once its configuration was built."""

from __future__ import annotations

import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2, realtime_pb2
from cloud.adapters.store import CloudStore
from cloud.adapters.store.errors import SiteRevoked
from cloud.services.realtime_policies import RealtimePolicyService
from cloud.services.site_configs import SiteConfigs
from shared.errors import NotFound

SITE = "store-0042"


def _site(store: CloudStore) -> None:
    store.channels.create("web-eu", "Web EU", [])
    store.sites.create_or_get(SITE, "web-eu", "Utrecht", "Europe/Amsterdam", "0.1.0")


def test_each_config_takes_a_new_generation_with_the_overrides(store: CloudStore) -> None:
    _site(store)
    configs = SiteConfigs(store.sites, store.channels, store.realtime_policies)
    policies = RealtimePolicyService(
        store.realtime_policies, store.sites, store.channels, store.commands
    )
    # Before its configuration is built, a provisioning site is sent nothing.
    assert policies.set("channel", "web-eu", "gift-card-redeem", "refuse") == []
    first = configs.build(SITE)
    assert first.generation == 1
    assert [o.kind for o in first.offline_policies] == [
        realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM
    ]
    # Built, not yet ready: a change now reaches it, at the next generation.
    assert policies.set("site", SITE, "loyalty-redeem", "refuse") == [SITE]
    [command] = store.commands.pending_for_site(SITE)
    sent = edge_pb2.Command.FromString(command.payload).apply_site_config
    assert sent.generation == 2
    assert {o.kind for o in sent.offline_policies} == {
        realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM,
        realtime_pb2.OPERATION_KIND_LOYALTY_REDEEM,
    }
    # Provisioning then records its own (older) generation: the newer one is kept.
    store.sites.mark_ready(SITE, "ab12", 1, [])
    site = store.sites.get(SITE)
    assert site is not None and (site.status, site.config_generation) == ("ready", 2)
    assert configs.build(SITE).generation == 3


def test_no_config_for_an_unknown_or_revoked_site(store: CloudStore) -> None:
    configs = SiteConfigs(store.sites, store.channels, store.realtime_policies)
    with pytest.raises(NotFound, match="does not exist"):
        configs.build("store-9999")
    _site(store)
    store.sites.revoke(SITE, "stolen", "test")
    with pytest.raises(SiteRevoked):
        configs.build(SITE)
