from __future__ import annotations

import pytest

from cloud.adapters.store import CloudStore, CommandConflict, SiteRecord, SiteRevoked, UnknownSite
from tests.cloud.adapters.store.builders import NOW


@pytest.fixture
def two_sites(store: CloudStore, site: SiteRecord) -> tuple[str, str]:
    store.sites.create_or_get("store-0043", "retail-eu", "Hamburg", "Europe/Berlin", "1.2.0")
    return site.site_id, "store-0043"


def test_enqueue_is_idempotent_and_a_retry_queues_the_command_again(
    store: CloudStore, two_sites: tuple[str, str]
) -> None:
    first = store.commands.enqueue("cmd-1", "store-0042", "apply_config", b"config-v1", b"token-1")
    assert (first.status, first.payload, first.task_token) == ("pending", b"config-v1", b"token-1")
    store.commands.mark_delivered("cmd-1", NOW)
    other = store.commands.enqueue("cmd-2", "store-0042", "apply_config", b"other", b"token-x")
    # A retried activity enqueues again with a new task token: the payload stays and the
    # command goes back to the tail of the queue, pending, so the gateway delivers it again.
    again = store.commands.enqueue("cmd-1", "store-0042", "apply_config", b"config-v2", b"token-2")
    assert (again.status, again.payload, again.task_token, again.created_at) == (
        "pending",
        b"config-v1",
        b"token-2",
        first.created_at,
    )
    assert again.seq > other.seq > first.seq
    assert [c.command_id for c in store.commands.pending_after(other.seq)] == ["cmd-1"]
    assert [c.command_id for c in store.commands.pending_for_site("store-0042")] == [
        "cmd-2",
        "cmd-1",
    ]
    store.commands.complete("cmd-2", "store-0042", True, b"", "", NOW)
    assert [c.command_id for c in store.commands.pending_for_site("store-0042")] == ["cmd-1"]
    with pytest.raises(
        CommandConflict, match="already queued as 'apply_config' for site store-0042"
    ):
        store.commands.enqueue("cmd-1", "store-0043", "apply_config", b"x", b"t")


def test_complete_is_idempotent_and_finished_commands_are_returned_unchanged(
    store: CloudStore, two_sites: tuple[str, str]
) -> None:
    store.commands.enqueue("cmd-1", "store-0042", "apply_config", b"cfg", b"token-1")
    done = store.commands.complete("cmd-1", "store-0042", True, b"applied", "", NOW)
    assert done is not None
    assert (done.status, done.result, done.error, done.completed_at) == (
        "completed",
        b"applied",
        None,
        NOW,
    )
    assert done.finished
    later = store.commands.complete("cmd-1", "store-0042", False, b"", "boom", NOW)
    assert later == done
    # Enqueueing a finished command hands back the stored result, untouched.
    assert store.commands.enqueue("cmd-1", "store-0042", "apply_config", b"x", b"token-9") == done
    assert store.commands.pending_for_site("store-0042") == []

    store.commands.enqueue("cmd-2", "store-0042", "apply_config", b"cfg", b"token-2")
    failed = store.commands.complete("cmd-2", "store-0042", False, b"", "disk full", NOW)
    assert failed is not None
    assert (failed.status, failed.error) == ("failed", "disk full")


def test_a_retryable_answer_leaves_the_command_open_with_its_error(
    store: CloudStore, two_sites: tuple[str, str]
) -> None:
    queued = store.commands.enqueue("cmd-1", "store-0042", "apply_config", b"cfg", b"token-1")
    store.commands.mark_delivered("cmd-1", NOW)
    busy = store.commands.complete(
        "cmd-1", "store-0042", False, b"busy", "database is locked", NOW, final=False
    )
    assert busy is not None
    assert (busy.status, busy.result, busy.error, busy.finished) == (
        "delivered",
        None,
        "database is locked",
        False,
    )
    # The next attempt queues it again; then the agent's final answer closes it.
    again = store.commands.enqueue("cmd-1", "store-0042", "apply_config", b"cfg", b"token-2")
    assert (again.status, again.error) == ("pending", "database is locked")
    assert again.seq > queued.seq
    done = store.commands.complete("cmd-1", "store-0042", True, b"applied", "", NOW)
    assert done is not None
    assert (done.status, done.result, done.error) == ("completed", b"applied", None)


def test_completing_another_sites_command_returns_none_and_changes_nothing(
    store: CloudStore, two_sites: tuple[str, str]
) -> None:
    queued = store.commands.enqueue("cmd-1", "store-0042", "apply_config", b"cfg", b"token-1")
    assert store.commands.complete("cmd-1", "store-0043", True, b"forged", "", NOW) is None
    assert store.commands.complete("cmd-missing", "store-0043", True, b"", "", NOW) is None
    assert store.commands.get("cmd-1") == queued


def test_pending_after_orders_across_sites(store: CloudStore, two_sites: tuple[str, str]) -> None:
    a = store.commands.enqueue("cmd-a", "store-0042", "k", b"", b"t")
    b = store.commands.enqueue("cmd-b", "store-0043", "k", b"", b"t")
    c = store.commands.enqueue("cmd-c", "store-0042", "k", b"", b"t")
    assert a.seq < b.seq < c.seq
    store.commands.complete("cmd-b", "store-0043", True, b"", "", NOW)
    assert [r.command_id for r in store.commands.pending_after(0)] == ["cmd-a", "cmd-c"]
    assert [r.command_id for r in store.commands.pending_after(a.seq)] == ["cmd-c"]
    assert [r.command_id for r in store.commands.pending_after(0, limit=1)] == ["cmd-a"]
    assert [r.command_id for r in store.commands.pending_for_site("store-0042")] == [
        "cmd-a",
        "cmd-c",
    ]


def test_enqueue_for_unknown_or_revoked_site_is_refused(
    store: CloudStore, two_sites: tuple[str, str]
) -> None:
    with pytest.raises(UnknownSite):
        store.commands.enqueue("cmd-1", "store-9999", "k", b"", b"t")
    store.sites.revoke("store-0043", "closed", actor="ops")
    with pytest.raises(SiteRevoked):
        store.commands.enqueue("cmd-2", "store-0043", "k", b"", b"t")
    assert store.commands.pending_after(0) == []
