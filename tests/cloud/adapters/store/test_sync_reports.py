"""Sync reports, the change log's oldest unapplied change and the newest fact of a kind, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cloud.adapters.store import AppliedReport, CloudStore
from shared.errors import InvalidInput
from tests.cloud.adapters.store.builders import NOW
from tests.cloud.adapters.store.change_builders import CHANNEL, item

SITE = "store-0042"


def test_a_site_nobody_heard_from_has_an_empty_report(store: CloudStore) -> None:
    report = store.sync_reports.get(SITE)
    assert report.applied == {}
    assert (report.outbox_pending, report.outbox_reported_at, report.last_push_at) == (
        None,
        None,
        None,
    )


def test_pulls_keep_the_latest_applied_seq_per_stream(store: CloudStore) -> None:
    store.sync_reports.record_pull(SITE, {"catalog": 3, "prices": 1}, None, NOW)
    later = NOW + timedelta(seconds=5)
    store.sync_reports.record_pull(SITE, {"catalog": 7}, 2, later)
    store.sync_reports.record_pull("store-0043", {"catalog": 1}, 9, later)
    report = store.sync_reports.get(SITE)
    assert report.applied == {
        "catalog": AppliedReport(7, later),
        "prices": AppliedReport(1, NOW),
    }
    assert (report.outbox_pending, report.outbox_reported_at) == (2, later)
    assert report.last_push_at is None


def test_a_pull_without_an_outbox_depth_keeps_the_reported_one(store: CloudStore) -> None:
    store.sync_reports.record_push(SITE, 4, NOW)
    store.sync_reports.record_pull(SITE, {"catalog": 1}, None, NOW + timedelta(seconds=1))
    report = store.sync_reports.get(SITE)
    assert (report.outbox_pending, report.outbox_reported_at, report.last_push_at) == (
        4,
        NOW,
        NOW,
    )


def test_a_push_records_its_time_and_the_depth_it_left(store: CloudStore) -> None:
    store.sync_reports.record_pull(SITE, {}, 5, NOW)
    later = NOW + timedelta(minutes=1)
    store.sync_reports.record_push(SITE, 0, later)
    report = store.sync_reports.get(SITE)
    assert (report.outbox_pending, report.outbox_reported_at, report.last_push_at) == (
        0,
        later,
        later,
    )


def test_bad_reports_are_refused_and_nothing_is_stored(store: CloudStore) -> None:
    with pytest.raises(InvalidInput, match="negative"):
        store.sync_reports.record_pull(SITE, {"catalog": 2, "prices": -1}, 0, NOW)
    with pytest.raises(InvalidInput, match="outbox depth -1"):
        store.sync_reports.record_push(SITE, -1, NOW)
    with pytest.raises(InvalidInput, match="timezone"):
        store.sync_reports.record_push(SITE, 0, NOW.replace(tzinfo=None))
    assert store.sync_reports.get(SITE).applied == {}
    assert store.sync_reports.get(SITE).last_push_at is None


def test_oldest_after_is_the_first_change_of_the_scopes_a_reader_has_not_applied(
    store: CloudStore,
) -> None:
    store.changes.append([item("sku-1")], at=NOW)
    store.changes.append([item("sku-x", scope="channel/other")], at=NOW + timedelta(seconds=1))
    store.changes.append([item("sku-2")], at=NOW + timedelta(seconds=2))
    assert store.changes.oldest_after("catalog", [CHANNEL], 0) == NOW
    # seq 2 is another scope's: the next change this reader lacks is seq 3.
    assert store.changes.oldest_after("catalog", [CHANNEL], 1) == NOW + timedelta(seconds=2)
    assert store.changes.oldest_after("catalog", [CHANNEL], 3) is None
    with pytest.raises(InvalidInput, match="unknown stream"):
        store.changes.oldest_after("nope", [CHANNEL], 0)


def test_latest_is_the_newest_fact_of_that_kind_about_the_subject(store: CloudStore) -> None:
    def add(fact_id: str, kind: str, subject: str, minutes: int) -> None:
        store.facts.append(
            fact_id, kind, subject, NOW + timedelta(minutes=minutes), "wf", "run", b"x"
        )

    add("f1", "DownsyncCompleted", f"site/{SITE}", 0)
    add("f2", "DownsyncCompleted", f"site/{SITE}", 1)
    add("f3", "UpsyncCompleted", f"site/{SITE}", 2)
    add("f4", "DownsyncCompleted", "site/store-0043", 3)
    latest = store.facts.latest(f"site/{SITE}", "DownsyncCompleted")
    assert latest is not None and latest.fact_id == "f2"
    assert store.facts.latest(f"site/{SITE}", "ProjectionRebuilt") is None
