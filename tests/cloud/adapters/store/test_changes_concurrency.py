"""Concurrent writers on the change log: a reader never sees seq N+1 before N."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from cloud.adapters.store import CloudStore
from tests.cloud.adapters.store.change_builders import CHANNEL, item


def _wait_for(condition: Any, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.mark.postgres
def test_a_later_writer_cannot_commit_past_an_open_one(postgres_url: str) -> None:
    """Writer A holds seq 2 open; writer B asks for seq 3 and tries to commit first. The
    reader sees neither until A commits, and then both, in order."""
    with CloudStore.open(postgres_url) as store:
        store.changes.append([item("sku-0")])
        a_inserted, release_a = threading.Event(), threading.Event()

        def pause_writer_a(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if threading.current_thread().name == "writer-a" and statement.startswith(
                "INSERT INTO changes"
            ):
                a_inserted.set()
                assert release_a.wait(30), "test never released writer A"

        sa.event.listen(store.engine, "after_cursor_execute", pause_writer_a)
        done: dict[str, int] = {}

        def write(name: str, sku: str) -> None:
            done[name] = store.changes.append([item(sku)]).heads["catalog"]

        writer_a = threading.Thread(target=write, args=("a", "sku-a"), name="writer-a")
        writer_b = threading.Thread(target=write, args=("b", "sku-b"), name="writer-b")
        try:
            writer_a.start()
            assert a_inserted.wait(15)
            writer_b.start()

            def b_is_waiting_for_a_lock() -> bool:
                with store.engine.connect() as conn:
                    waiting = conn.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                        )
                    ).scalar()
                return bool(waiting)

            # B either commits seq 3 while seq 2 is still open (what the log must prevent) or
            # waits for A; either way the reader must see nothing past seq 1.
            _wait_for(
                lambda: "b" in done or b_is_waiting_for_a_lock(), "writer B to commit or to wait"
            )
            batch = store.changes.read("catalog", [CHANNEL], 0)
            assert [c.seq for c in batch.changes] == [1], "a reader saw a change past an open seq"
            assert batch.through_seq == 1, "a reader must not checkpoint past an open seq"
            assert "b" not in done
        finally:
            release_a.set()
        writer_a.join(15)
        writer_b.join(15)
        assert done == {"a": 2, "b": 3}
        batch = store.changes.read("catalog", [CHANNEL], 1)
        assert [(c.seq, c.key) for c in batch.changes] == [(2, "sku-a"), (3, "sku-b")]


def test_readers_following_concurrent_writers_never_skip_a_change(store_url: str) -> None:
    """Four writers with their own connections append while a reader checkpoints as it
    goes; the reader ends with every change exactly once, each read contiguous."""
    writers, appends, per_append = 4, 25, 3
    total = writers * appends * per_append
    with CloudStore.open(store_url) as store:
        errors: list[BaseException] = []

        def write(writer: int) -> None:
            try:
                for n in range(appends):
                    store.changes.append([item(f"sku-{writer}-{n}-{k}") for k in range(per_append)])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for thread in threads:
            thread.start()
        checkpoint, seen = 0, []
        while len(seen) < total and not errors:
            writers_done = not any(t.is_alive() for t in threads)
            batch = store.changes.read("catalog", [CHANNEL], checkpoint, limit=50)
            seqs = [c.seq for c in batch.changes]
            assert seqs == list(range(checkpoint + 1, checkpoint + 1 + len(seqs))), (
                f"gap after checkpoint {checkpoint}: {seqs}"
            )
            seen += [c.key for c in batch.changes]
            checkpoint = batch.through_seq
            if writers_done and not batch.changes:
                break
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert len(seen) == len(set(seen)) == total
        assert checkpoint == store.changes.head("catalog") == total
