from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloud.adapters.store import CloudStore
from tests.cloud.adapters.store.builders import NOW


def test_fact_append_is_deduplicated_by_fact_id(store: CloudStore) -> None:
    assert store.facts.append("f-1", "StoreSiteReady", "store-0042", NOW, "wf", "run", b"p1")
    assert not store.facts.append("f-1", "StoreSiteReady", "store-0042", NOW, "wf", "run2", b"p2")
    [fact] = store.facts.tail()
    assert (fact.fact_id, fact.run_id, fact.payload, fact.occurred_at) == ("f-1", "run", b"p1", NOW)


def test_tail_is_in_append_order_with_cursor_limit_and_subject(store: CloudStore) -> None:
    # occurred_at deliberately out of order: the log orders by append, not by clock.
    for i, subject in enumerate(["store-a", "store-b", "store-a", "store-c"]):
        occurred = NOW - timedelta(minutes=i)
        store.facts.append(f"f-{i}", "DownsyncCompleted", subject, occurred, "wf", "run", b"")
    everything = store.facts.tail()
    assert [f.fact_id for f in everything] == ["f-0", "f-1", "f-2", "f-3"]
    assert [f.seq for f in everything] == sorted(f.seq for f in everything)
    assert [f.fact_id for f in store.facts.tail(after_seq=everything[1].seq)] == ["f-2", "f-3"]
    assert [f.fact_id for f in store.facts.tail(limit=2)] == ["f-0", "f-1"]
    assert [f.fact_id for f in store.facts.tail(subject="store-a")] == ["f-0", "f-2"]


def test_audit_lists_newest_first(store: CloudStore) -> None:
    store.audit.record("ops:alice", "channel.created", "retail-eu", {"streams": ["a"]}, NOW)
    store.audit.record("ops:bob", "site.provisioned", "store-1", {"at": NOW})
    rows = store.audit.list()
    assert [r.action for r in rows] == ["site.provisioned", "channel.created"]
    assert rows[0].detail == {"at": NOW.isoformat()}
    assert rows[0].at > datetime(2020, 1, 1, tzinfo=UTC)
    assert [r.actor for r in store.audit.list(subject="retail-eu")] == ["ops:alice"]
    assert len(store.audit.list(limit=1)) == 1
