"""The ops services over a real SQLite store, the real token minter and the real site CA.

Provisioning against Temporal is covered end to end in tests/e2e; here the services' own
rules: what they refuse, what they write, and what they hand an installer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import cloud.ports
import cloud.services
from ameide_core_proto.process.commerce.v1 import facts_pb2, store_site_pb2
from cloud.adapters.pki import FileCertificateAuthority
from cloud.adapters.store import CloudStore
from cloud.adapters.tokens import TokenMinter, token_hash
from cloud.compat import IncompatibleVersion
from cloud.compatibility import packaged_matrix_text
from cloud.composition.compat_wiring import matrix_compatibility
from cloud.services import (
    ChannelService,
    EnrollmentIssuer,
    ProvisioningService,
    ProvisionRun,
    SiteService,
)
from shared.errors import InvalidInput, NotFound

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


class NoWorkflows:
    """Stand-in for the Temporal adapter (named as such): these tests never start a run."""

    async def start(self, request: store_site_pb2.ProvisionStoreSiteInput) -> ProvisionRun:
        raise AssertionError("the service started a workflow for input it should refuse")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CloudStore]:
    with CloudStore.open(f"sqlite:///{tmp_path / 'cloud.db'}") as opened:
        yield opened


@pytest.fixture
def enrollments(tmp_path: Path) -> EnrollmentIssuer:
    pki = tmp_path / "pki"
    return EnrollmentIssuer(
        TokenMinter.open_or_create(pki),
        FileCertificateAuthority.open_or_create(pki),
        "gateway.example:8470",
    )


def test_exported_members() -> None:
    assert sorted(cloud.services.__all__) == [
        "CaFingerprint",
        "ChannelService",
        "DataReport",
        "DataService",
        "Enrollment",
        "EnrollmentIssuer",
        "FactService",
        "FleetScheduleView",
        "FleetSchedules",
        "FleetService",
        "ProvisionRun",
        "ProvisioningService",
        "ProvisioningWorkflows",
        "ReplicationService",
        "ReplicationWorkflows",
        "SiteService",
        "TokenSource",
        "revocation_fact",
    ]


def test_channel_ids_follow_the_id_rules_and_creation_is_audited(store: CloudStore) -> None:
    channels = ChannelService(store.channels, store.audit, actor="ops:alice")
    with pytest.raises(InvalidInput, match=r"invalid sales channel id 'Web EU'.*e\.g\. 'web-eu'"):
        channels.create("Web EU", "", [])
    assert store.channels.list() == []
    created = channels.create("web-eu", "", [])
    assert created.name == "web-eu"
    assert [(a.actor, a.action) for a in store.audit.list()] == [("ops:alice", "channel.created")]


def test_revoking_a_site_appends_its_fact(
    store: CloudStore, enrollments: EnrollmentIssuer
) -> None:
    store.channels.create("web-eu", "Web EU", [])
    store.sites.create_or_get("store-0042", "web-eu", "Utrecht", "Europe/Amsterdam", "0.1.0")
    sites = SiteService(store.sites, store.tokens, enrollments, clock=lambda: NOW)

    revoked = sites.revoke("store-0042", "server stolen", "ops:alice")

    assert revoked.status == "revoked"
    [fact] = store.facts.tail(subject="site/store-0042")
    assert (fact.fact_id, fact.fact_type, fact.occurred_at) == (
        "site/store-0042/revoked",
        "StoreSiteRevoked",
        NOW,
    )
    payload = facts_pb2.ProcessFact.FromString(fact.payload)
    assert payload.store_site_revoked.reason == "server stolen"
    with pytest.raises(NotFound, match="store-0043 does not exist; see `commerce-cloud sites"):
        sites.revoke("store-0043", "typo", "ops:alice")


def test_current_enrollment_reveals_the_newest_usable_token(
    store: CloudStore, enrollments: EnrollmentIssuer, tmp_path: Path
) -> None:
    store.channels.create("web-eu", "Web EU", [])
    store.sites.create_or_get("store-0042", "web-eu", "Utrecht", "Europe/Amsterdam", "0.1.0")
    sites = SiteService(store.sites, store.tokens, enrollments, clock=lambda: NOW)
    with pytest.raises(NotFound, match="no usable bootstrap token"):
        sites.current_enrollment("store-0042")

    minter = TokenMinter.open_or_create(tmp_path / "pki")
    token = minter.token("store-0042", "t1")
    store.tokens.issue("t1", "store-0042", token_hash(token), "wf", NOW + timedelta(hours=1))

    enrollment = sites.current_enrollment("store-0042")
    fingerprint = FileCertificateAuthority.open_or_create(tmp_path / "pki").ca_fingerprint()
    assert enrollment.command == (
        f"commerce-edge enroll --cloud gateway.example:8470 --token {token} "
        f"--ca-fingerprint {fingerprint}"
    )
    assert enrollment.expires_at == NOW + timedelta(hours=1)


def _request(**fields: str) -> store_site_pb2.ProvisionStoreSiteInput:
    values = {
        "site_id": "store-0042",
        "sales_channel_id": "web-eu",
        "name": "Utrecht",
        "timezone": "Europe/Amsterdam",
        "agent_version": "0.1.0",
    }
    values.update(fields)
    return store_site_pb2.ProvisionStoreSiteInput(**values)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"site_id": "Store 42"}, InvalidInput, "invalid site id 'Store 42'"),
        ({"timezone": "Mars/Base"}, InvalidInput, "not an IANA time zone"),
        ({"name": " "}, InvalidInput, "name must be 1 to 200 characters"),
        ({"agent_version": "0.0.1"}, IncompatibleVersion, "older than the oldest supported"),
        ({"sales_channel_id": "web-us"}, NotFound, "sales channel 'web-us' does not exist"),
    ],
)
async def test_provisioning_refuses_bad_input_before_starting_anything(
    store: CloudStore,
    enrollments: EnrollmentIssuer,
    fields: dict[str, str],
    error: type[Exception],
    message: str,
) -> None:
    store.channels.create("web-eu", "Web EU", [])
    provisioning = ProvisioningService(
        store.channels,
        matrix_compatibility(store.compat_matrices, "0.1.0"),
        NoWorkflows(),
        enrollments,
    )
    with pytest.raises(error, match=message):
        await provisioning.start(_request(**fields))
    assert store.sites.list() == []


async def test_enrollment_only_for_a_run_waiting_for_its_agent(
    store: CloudStore, enrollments: EnrollmentIssuer
) -> None:
    provisioning = ProvisioningService(
        store.channels,
        matrix_compatibility(store.compat_matrices, "0.1.0"),
        NoWorkflows(),
        enrollments,
    )
    expires = store_site_pb2.ProvisionStoreSiteStatus().bootstrap_token_expires_at
    expires.FromDatetime(NOW)
    waiting = store_site_pb2.ProvisionStoreSiteStatus(
        site_id="store-0042",
        step=store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT,
        bootstrap_token_id="t1",
        bootstrap_token_expires_at=expires,
    )
    enrollment = await provisioning.enrollment(waiting)
    assert enrollment is not None and enrollment.token.startswith("store-0042.t1.")
    assert enrollment.expires_at == NOW
    ready = store_site_pb2.ProvisionStoreSiteStatus()
    ready.CopyFrom(waiting)
    ready.step = store_site_pb2.PROVISION_STEP_READY
    assert await provisioning.enrollment(ready) is None



def test_store_ports_are_pinned_and_the_store_fits_them(store: CloudStore) -> None:
    assert sorted(cloud.ports.__all__) == [
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
    # Structural: every repository method a port names exists on the real store.
    for port, repository in [
        (cloud.ports.ChannelsPort, store.channels),
        (cloud.ports.SitesPort, store.sites),
        (cloud.ports.TokensPort, store.tokens),
        (cloud.ports.CertificatesPort, store.certificates),
        (cloud.ports.CommandsPort, store.commands),
        (cloud.ports.FactsPort, store.facts),
        (cloud.ports.AuditPort, store.audit),
        (cloud.ports.ChangeLogPort, store.changes),
        (cloud.ports.IngestPort, store.ingest),
        (cloud.ports.SyncReportsPort, store.sync_reports),
        (cloud.ports.PublishedBundlesPort, store.bundles),
        (cloud.ports.SiteReleasesPort, store.site_releases),
        (cloud.ports.SiteCalendarsPort, store.site_calendars),
    ]:
        names = [n for n in vars(port) if not n.startswith("_") and callable(vars(port)[n])]
        missing = [n for n in names if not callable(getattr(repository, n, None))]
        assert names and not missing, f"{type(repository).__name__} lacks {missing}"


async def test_provisioning_decides_with_the_newest_matrix_in_the_store(
    store: CloudStore, enrollments: EnrollmentIssuer
) -> None:
    store.channels.create("web-eu", "Web EU", [])
    provisioning = ProvisioningService(
        store.channels, matrix_compatibility(store.compat_matrices), NoWorkflows(), enrollments
    )
    provisioning.check_request(_request(agent_version="0.1.0"))  # the shipped matrix allows it
    stricter = (
        packaged_matrix_text()
        .replace("version = 1\n", "version = 2\n", 1)
        .replace(
            '[[components.edge-agent.releases]]\nversions = ">=0.1.0,<1.0.0"',
            '[[components.edge-agent.releases]]\nversions = ">=0.1.1,<1.0.0"',
        )
    )
    assert stricter.count(">=0.1.1") == 1
    store.compat_matrices.save(2, "x" * 64, stricter, NOW, "ops")
    refused = r"matrix version 2: unsupported-version: edge-agent 0.1.0"
    with pytest.raises(IncompatibleVersion, match=refused):
        provisioning.check_request(_request(agent_version="0.1.0"))
    assert store.sites.list() == []
