"""SyncStatusService over the real cloud store (a SQLite file): lag from the change log and
the stores' reports, last upsync and last checksum from the fact log, at a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import facts_pb2
from cloud.adapters.store import CloudStore
from cloud.services.sync_status import SyncStatusService
from shared.errors import InvalidInput, NotFound
from tests.cloud.adapters.store.builders import NOW
from tests.cloud.adapters.store.change_builders import item

SITE = "store-0042"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CloudStore]:
    opened = CloudStore.open(f"sqlite:///{tmp_path / 'cloud.db'}")
    opened.channels.create("retail-eu", "Retail EU", ["catalog"])
    for site_id in (SITE, "store-0043"):
        opened.sites.create_or_get(site_id, "retail-eu", site_id, "Europe/Berlin", "1.2.0")
    opened.sites.mark_ready(SITE, "serial", 1, [])
    yield opened
    opened.close()


def _service(store: CloudStore, minutes_later: int = 10) -> SyncStatusService:
    return SyncStatusService(
        store.sites,
        store.channels,
        store.changes,
        store.sync_reports,
        store.facts,
        clock=lambda: NOW + timedelta(minutes=minutes_later),
    )


def _fact(store: CloudStore, fact_id: str, minutes: int, **payload: object) -> None:
    kind = "DownsyncCompleted" if "downsync_completed" in payload else "UpsyncCompleted"
    fact = facts_pb2.ProcessFact(fact_id=fact_id, type=kind, subject=f"site/{SITE}", **payload)  # type: ignore[arg-type]
    store.facts.append(
        fact_id,
        kind,
        fact.subject,
        NOW + timedelta(minutes=minutes),
        "wf",
        "run",
        fact.SerializeToString(),
    )


def test_a_store_behind_shows_its_lag_in_changes_and_age_of_the_oldest_missing_change(
    store: CloudStore,
) -> None:
    store.changes.append([item("sku-1"), item("sku-2")], at=NOW)
    store.changes.append([item("sku-3")], at=NOW + timedelta(minutes=4))
    store.sync_reports.record_pull(SITE, {"catalog": 2}, 7, NOW + timedelta(minutes=5))
    status = _service(store).site(SITE)
    catalog = next(s for s in status.streams if s.stream == "catalog")
    assert (catalog.applied_seq, catalog.head_seq, catalog.lag_changes) == (2, 3, 1)
    assert catalog.lag_seconds == 6 * 60  # sku-3 was appended 6 minutes before "now"
    assert status.outbox_pending == 7 and status.outbox_reported_at == NOW + timedelta(minutes=5)
    assert status.last_upsync_at is None and status.last_checksum is None
    assert status.to_json()["lag_changes"] == 1


def test_a_caught_up_store_has_no_lag_and_shows_its_last_upsync_and_checksum(
    store: CloudStore,
) -> None:
    store.changes.append([item("sku-1"), item("sku-x", scope="channel/other")], at=NOW)
    store.sync_reports.record_pull(SITE, {"catalog": 2}, 0, NOW)
    store.sync_reports.record_push(SITE, 0, NOW + timedelta(minutes=1))
    _fact(store, "d1", 2, downsync_completed=facts_pb2.DownsyncCompleted(checksums_match=True))
    _fact(store, "d2", 3, downsync_completed=facts_pb2.DownsyncCompleted(checksums_match=False))
    _fact(store, "u1", 4, upsync_completed=facts_pb2.UpsyncCompleted(records_ingested=1))
    status = _service(store).site(SITE)
    catalog = next(s for s in status.streams if s.stream == "catalog")
    assert (catalog.lag_changes, catalog.lag_seconds) == (0, 0.0)
    # The later of the last push and the last UpsyncCompleted fact.
    assert status.last_upsync_at == NOW + timedelta(minutes=4)
    assert status.last_checksum is not None
    assert (status.last_checksum.match, status.last_checksum.at) == (
        False,
        NOW + timedelta(minutes=3),
    )
    assert status.to_json()["last_checksum"]["result"] == "mismatch"


def test_a_store_that_never_reported_is_behind_by_everything(store: CloudStore) -> None:
    store.changes.append([item("sku-1")], at=NOW)
    [status] = _service(store).ready()  # store-0043 is not ready: not listed
    catalog = next(s for s in status.streams if s.stream == "catalog")
    assert (catalog.applied_seq, catalog.lag_changes, catalog.lag_seconds) == (None, 1, 600.0)
    assert status.outbox_pending is None


def test_unknown_and_malformed_sites_are_refused(store: CloudStore) -> None:
    with pytest.raises(NotFound, match="store-0099 does not exist"):
        _service(store).site("store-0099")
    with pytest.raises(InvalidInput):
        _service(store).site("Not A Site!")
