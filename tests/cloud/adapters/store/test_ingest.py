from __future__ import annotations

import pytest

from cloud.adapters.store import CloudStore, ForeignSiteRecord, RegisterDayTotal
from shared.errors import InvalidInput
from tests.cloud.adapters.store.builders import NOW
from tests.cloud.adapters.store.change_builders import adjustment, sale, sales_return

SITE = "store-0042"


def test_a_replayed_batch_changes_nothing(store: CloudStore) -> None:
    batch = [sale("s-1"), sale("s-2", total=250), sales_return("r-1"), adjustment("a-1")]
    first = store.ingest.ingest(SITE, "batch-1", batch, at=NOW)
    totals = store.ingest.register_day_totals(SITE)
    again = store.ingest.ingest(SITE, "batch-1", batch)
    assert (first.ingested, first.duplicates) == (4, 0)
    assert (again.ingested, again.duplicates) == (0, 4)
    assert store.ingest.register_day_totals(SITE) == totals


def test_a_batch_overlapping_an_earlier_one_stores_only_new_records(store: CloudStore) -> None:
    store.ingest.ingest(SITE, "batch-1", [sale("s-1"), sale("s-2")])
    # The same key twice in one batch counts once.
    result = store.ingest.ingest(SITE, "batch-2", [sale("s-2"), sale("s-3"), sale("s-3")])
    assert (result.ingested, result.duplicates) == (1, 2)
    [day] = store.ingest.register_day_totals(SITE)
    assert day.transactions == 3


def test_register_day_totals_count_sales_and_returns_per_register_and_day(
    store: CloudStore,
) -> None:
    store.ingest.ingest(
        SITE,
        "b",
        [
            sale("s-1", register="r1", total=1000),
            sale("s-2", register="r1", total=500),
            sales_return("r-1", register="r1", total=-400),
            sale("s-3", register="r2", total=700),
            adjustment("a-1"),
        ],
    )
    store.ingest.ingest("store-0043", "b", [sale("x-1", site="store-0043")])
    assert store.ingest.register_day_totals(SITE) == [
        RegisterDayTotal("r1", "2026-11-25", "EUR", 2, 1, 1100),
        RegisterDayTotal("r2", "2026-11-25", "EUR", 1, 0, 700),
    ]


def test_a_record_of_another_site_refuses_the_whole_batch(store: CloudStore) -> None:
    with pytest.raises(ForeignSiteRecord, match=r"record 1: sales_transaction.receipt.site_id"):
        store.ingest.ingest(SITE, "b", [sale("s-1"), sale("s-2", site="store-9")])
    with pytest.raises(ForeignSiteRecord, match=r"record 0: inventory_adjustment.site_id"):
        store.ingest.ingest(SITE, "b", [adjustment("a-1", site="store-9")])
    assert store.ingest.register_day_totals(SITE) == []
    assert store.ingest.ingest(SITE, "b", [sale("s-1")]).ingested == 1


def test_records_without_key_or_body_are_refused(store: CloudStore) -> None:
    with pytest.raises(InvalidInput, match="record 0: idempotency_key"):
        store.ingest.ingest(SITE, "b", [sale("")])
    keyless = sale("s-1")
    keyless.ClearField("sales_transaction")
    with pytest.raises(InvalidInput, match="record 0: record: is missing"):
        store.ingest.ingest(SITE, "b", [keyless])
    with pytest.raises(InvalidInput, match="batch_id"):
        store.ingest.ingest(SITE, "", [sale("s-1")])


def test_the_same_batch_pushed_twice_at_once_is_stored_once(store: CloudStore) -> None:
    import threading

    batch = [sale(f"s-{i}") for i in range(200)]
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(store.ingest.ingest(SITE, "b", batch)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted((r.ingested, r.duplicates) for r in results) == [(0, 200), (200, 0)]
    [day] = store.ingest.register_day_totals(SITE)
    assert (day.transactions, day.net_minor_units) == (200, 200 * 1000)
