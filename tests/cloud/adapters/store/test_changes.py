from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ameide_core_proto.process.commerce.v1 import records_pb2
from cloud.adapters.store import BehindCompactionFloor, CloudStore, PublishConflict
from cloud.change_rules import InvalidChange
from shared.checksums import TableDigest
from shared.errors import InvalidInput
from tests.cloud.adapters.store.builders import NOW
from tests.cloud.adapters.store.change_builders import CHANNEL, deletion, item, price

OTHER = "channel/web-us"


def test_append_assigns_per_stream_seqs_and_read_returns_them_in_order(
    store: CloudStore,
) -> None:
    result = store.changes.append(
        [item("sku-1"), price("p-1", "sku-1", 250), item("sku-2"), item("sku-3", scope=OTHER)],
        at=NOW,
    )
    assert result.appended == 4
    assert result.heads == {"catalog": 3, "prices": 1}
    batch = store.changes.read("catalog", [CHANNEL], after_seq=0)
    assert [(c.seq, c.key) for c in batch.changes] == [(1, "sku-1"), (2, "sku-2")]
    assert batch.changes[0].catalog_item.description == "thing"
    assert batch.changes[0].changed_at.ToDatetime().isoformat() == "2025-11-24T12:00:00"
    # The other scope's change is not theirs, yet the reader may checkpoint past it.
    assert (batch.through_seq, batch.head_seq) == (3, 3)
    assert [c.key for c in store.changes.read("catalog", [CHANNEL, OTHER], 1).changes] == [
        "sku-2",
        "sku-3",
    ]
    assert store.changes.head("catalog", [CHANNEL]) == 3
    assert store.changes.head("promotions") == 0


def test_a_limited_read_checkpoints_at_its_last_change(store: CloudStore) -> None:
    store.changes.append([item(f"sku-{i}") for i in range(5)])
    first = store.changes.read("catalog", [CHANNEL], 0, limit=2)
    assert [c.seq for c in first.changes] == [1, 2]
    assert first.through_seq == 2
    rest = store.changes.read("catalog", [CHANNEL], first.through_seq, limit=10)
    assert [c.seq for c in rest.changes] == [3, 4, 5]
    assert rest.through_seq == 5


def test_one_bad_change_refuses_the_whole_batch(store: CloudStore) -> None:
    good = item("sku-1")
    wrong_key = item("sku-2")
    wrong_key.catalog_item.sku = "sku-9"
    cases: list[tuple[records_pb2.Change, str]] = [
        (records_pb2.Change(stream="stock", key="a", scope=CHANNEL), "stream"),
        (item("sku-2", scope="site/store-1"), "scope"),
        (item("sku-2", scope="channel/"), "scope"),
        (records_pb2.Change(stream="catalog", scope=CHANNEL, deleted=True), "key"),
        (wrong_key, "catalog_item.sku"),
        (records_pb2.Change(stream="catalog", key="sku-2", scope=CHANNEL), "catalog_item"),
        (
            records_pb2.Change(
                stream="catalog", key="p", scope=CHANNEL, price=records_pb2.Price(price_id="p")
            ),
            "price",
        ),
        (
            records_pb2.Change(
                stream="catalog",
                key="sku-2",
                scope=CHANNEL,
                deleted=True,
                catalog_item=records_pb2.CatalogItem(sku="sku-2"),
            ),
            "catalog_item",
        ),
        (
            records_pb2.Change(
                stream="prices",
                key="p-2",
                scope=OTHER,
                price=records_pb2.Price(price_id="p-2", sales_channel_id="retail-eu"),
            ),
            "price.sales_channel_id",
        ),
        (
            records_pb2.Change(
                stream="store-config",
                key="store-1",
                scope="site/store-2",
                store_configuration=records_pb2.StoreConfiguration(site_id="store-1"),
            ),
            "store_configuration.site_id",
        ),
    ]
    for bad, field in cases:
        with pytest.raises(InvalidChange) as refused:
            store.changes.append([good, bad])
        assert (refused.value.index, refused.value.field) == (1, field)
        assert str(refused.value).startswith(f"change 1: {field}:")
    assert store.changes.head("catalog") == 0
    assert store.changes.read("catalog", [CHANNEL], 0).changes == []
    assert store.changes.checksum("catalog", [CHANNEL]) == TableDigest()


def test_a_replayed_publish_id_appends_nothing(store: CloudStore) -> None:
    first = store.changes.append([item("sku-1"), item("sku-2")], publish_id="pub-1")
    again = store.changes.append([item("sku-1"), item("sku-2")], publish_id="pub-1")
    assert (first.appended, again.appended) == (2, 0)
    assert again.heads == {"catalog": 2}
    assert len(store.changes.read("catalog", [CHANNEL], 0).changes) == 2
    with pytest.raises(PublishConflict, match="'pub-1' was already used for other changes"):
        store.changes.append([item("sku-1"), item("sku-2", "changed")], publish_id="pub-1")
    assert store.changes.head("catalog") == 2


def test_deletions_and_updates_keep_the_live_records_current(store: CloudStore) -> None:
    store.changes.append([item("sku-1", "old"), item("sku-2"), item("sku-3")])
    store.changes.append([item("sku-1", "new"), deletion("catalog", "sku-2")])
    # Same key twice in one batch: the later change wins.
    store.changes.append([item("sku-4", "a"), item("sku-4", "b")])
    page = store.changes.snapshot("catalog", [CHANNEL])
    assert [(c.key, c.catalog_item.description) for c in page.changes] == [
        ("sku-1", "new"),
        ("sku-3", "thing"),
        ("sku-4", "b"),
    ]
    assert page.as_of_seq == 7 and page.next_after is None
    tail = store.changes.read("catalog", [CHANNEL], 4).changes
    assert [(c.seq, c.key, c.deleted) for c in tail] == [
        (5, "sku-2", True),
        (6, "sku-4", False),
        (7, "sku-4", False),
    ]
    assert not tail[0].HasField("catalog_item")


def test_an_encoded_snapshot_page_carries_what_a_parsed_one_does(store: CloudStore) -> None:
    store.changes.append([item("sku-1"), item("sku-2"), item("sku-3"), item("sku-4", scope=OTHER)])
    store.changes.append([item("sku-1", "new"), deletion("catalog", "sku-2")])
    parsed = store.changes.snapshot("catalog", [CHANNEL], limit=1)
    encoded = store.changes.snapshot_encoded("catalog", [CHANNEL], limit=1)
    assert records_pb2.ChangeList.FromString(encoded.payload).changes == parsed.changes
    assert (encoded.count, encoded.head_seq, encoded.next_after) == (1, 6, (CHANNEL, "sku-1"))
    rest = store.changes.snapshot_encoded("catalog", [CHANNEL], after=encoded.next_after)
    assert [c.key for c in records_pb2.ChangeList.FromString(rest.payload).changes] == ["sku-3"]
    assert rest.next_after is None


def test_checksum_equals_the_digest_of_the_live_records(store: CloudStore) -> None:
    store.changes.append([item("sku-1"), item("sku-2"), item("sku-3", scope=OTHER)])
    store.changes.append([deletion("catalog", "sku-2")])
    expected = TableDigest.of(
        [("sku-1", item("sku-1").catalog_item.SerializeToString(deterministic=True))]
    )
    assert store.changes.checksum("catalog", [CHANNEL]) == expected
    assert store.changes.checksum("catalog", [CHANNEL, OTHER]).rows == 2
    store.changes.append([item("sku-1", "changed")])
    assert store.changes.checksum("catalog", [CHANNEL]) != expected


def test_compaction_keeps_live_entities_and_refuses_reads_behind_the_floor(
    store: CloudStore,
) -> None:
    store.changes.append([item("sku-1"), item("sku-2"), item("sku-3")])
    store.changes.append([deletion("catalog", "sku-2"), item("sku-1", "v2")])
    before = store.changes.checksum("catalog", [CHANNEL])
    assert store.changes.compact("catalog", before_seq=5) == 4
    assert store.changes.floor("catalog") == 4
    with pytest.raises(BehindCompactionFloor, match="compacted through seq 4"):
        store.changes.read("catalog", [CHANNEL], after_seq=3)
    assert [c.seq for c in store.changes.read("catalog", [CHANNEL], 4).changes] == [5]
    assert store.changes.checksum("catalog", [CHANNEL]) == before
    # A new site: snapshot pages, then the tail after the first page's seq.
    first = store.changes.snapshot("catalog", [CHANNEL], limit=1)
    assert [c.key for c in first.changes] == ["sku-1"]
    assert first.next_after == (CHANNEL, "sku-1")
    second = store.changes.snapshot("catalog", [CHANNEL], after=first.next_after, limit=1)
    assert [c.key for c in second.changes] == ["sku-3"]
    last = store.changes.snapshot("catalog", [CHANNEL], after=second.next_after, limit=1)
    assert (last.changes, last.next_after) == ([], None)
    rebuilt = TableDigest.of(
        (c.key, c.catalog_item.SerializeToString(deterministic=True))
        for c in first.changes + second.changes
    )
    assert rebuilt == before
    assert store.changes.read("catalog", [CHANNEL], first.as_of_seq).changes == []
    # Compacting past the head stops at the head; the floor never moves back.
    assert store.changes.compact("catalog", before_seq=100) == 5
    assert store.changes.compact("catalog", before_seq=2) == 5


def test_reads_name_what_is_wrong(store: CloudStore) -> None:
    with pytest.raises(InvalidInput, match="unknown stream 'stock'"):
        store.changes.read("stock", [CHANNEL], 0)
    with pytest.raises(InvalidInput, match="use site/<id>"):
        store.changes.read("store-config", [CHANNEL], 0)
    with pytest.raises(InvalidInput, match="at least one scope"):
        store.changes.read("catalog", [], 0)
    with pytest.raises(InvalidInput, match="limit 0"):
        store.changes.read("catalog", [CHANNEL], 0, limit=0)


def test_store_config_is_scoped_to_a_site(store: CloudStore) -> None:
    config = records_pb2.Change(
        stream="store-config",
        key="store-0042",
        scope="site/store-0042",
        store_configuration=records_pb2.StoreConfiguration(site_id="store-0042", currency="EUR"),
    )
    store.changes.append([config])
    [change] = store.changes.read("store-config", ["site/store-0042"], 0).changes
    assert change.store_configuration.currency == "EUR"
    assert store.changes.read("store-config", ["site/store-0043"], 0).changes == []


def test_the_encoded_read_parses_to_the_same_changes(store: CloudStore) -> None:
    store.changes.append([item("sku-1"), item("sku-2", "ü ñ"), item("sku-3", scope=OTHER)], at=NOW)
    store.changes.append([deletion("catalog", "sku-1")])
    for after, limit in [(0, 1000), (0, 2), (2, 1000), (4, 1000)]:
        plain = store.changes.read("catalog", [CHANNEL], after, limit)
        encoded = store.changes.read_encoded("catalog", [CHANNEL], after, limit)
        parsed = records_pb2.ChangeList.FromString(encoded.payload)
        assert list(parsed.changes) == plain.changes
        assert (encoded.count, encoded.through_seq, encoded.head_seq) == (
            len(plain.changes),
            plain.through_seq,
            plain.head_seq,
        )
    assert store.changes.read_encoded("catalog", [CHANNEL], 0).count == 3
    # Change times keep their microseconds and come back in UTC, whatever zone went in.
    summer = datetime(2026, 6, 1, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    store.changes.append([item("sku-9")], at=summer)
    (late,) = records_pb2.ChangeList.FromString(
        store.changes.read_encoded("catalog", [CHANNEL], 4).payload
    ).changes
    assert late.changed_at.ToDatetime(tzinfo=UTC) == summer
    assert late.changed_at.nanos == 123456000
