"""Downsync pages applied to the projection on a real SQLite file: order, checksums, snapshots."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import records_pb2
from edge_agent.errors import PageOutOfOrder, PageRefused, SchemaTooNew
from edge_agent.projection import Projection, database_path
from edge_agent.projection._migrations import MIGRATIONS, SCHEMA_VERSION, Migration, migrate
from shared.checksums import TableDigest
from tests.edge_agent.replication_pages import changes, item, page, price


@pytest.fixture
async def projection(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = await Projection.open(tmp_path)
    yield p
    await p.close()


def _expected(*items: object) -> TableDigest:
    return TableDigest.of(
        (getattr(i, "sku", None) or i.price_id, i.SerializeToString(deterministic=True))  # type: ignore[attr-defined]
        for i in items
    )


async def _state(projection: Projection, stream: str):  # type: ignore[no-untyped-def]
    return next(s for s in await projection.stream_states() if s.stream == stream)


async def test_pages_apply_in_order_and_the_running_checksum_matches_a_full_scan(
    projection: Projection,
) -> None:
    a, b, c = item("A", "111"), item("B", "222"), item("C", "333")
    await projection.apply_page(page("catalog", 0, changes([a, b, c], 1)))
    b2 = item("B", "222", "223", description="renamed")
    done = await projection.apply_page(
        page("catalog", 3, changes([b2, ("catalog", "C")], 4), compress=False)
    )
    assert (done.applied_seq, done.rows, done.duplicate) == (5, 2, False)
    state = await _state(projection, "catalog")
    assert state.applied_seq == 5
    assert state.digest == _expected(a, b2) == await projection.scan_digest("catalog")
    assert await projection.item_by_barcode("223") == b2
    assert await projection.item_by_barcode("333") is None  # the deleted item's barcode went
    assert await projection.item_by_sku("C") is None


async def test_a_page_that_skips_ahead_is_refused_and_nothing_is_applied(
    projection: Projection,
) -> None:
    await projection.apply_page(page("catalog", 0, changes([item("A")], 1)))
    with pytest.raises(PageOutOfOrder, match=r"applied through seq 1.*pull again from seq 1"):
        await projection.apply_page(page("catalog", 5, changes([item("X")], 6)))
    assert await projection.item_by_sku("X") is None
    assert (await _state(projection, "catalog")).applied_seq == 1


async def test_a_page_applied_before_is_a_no_op(projection: Projection) -> None:
    first = page("catalog", 0, changes([item("A")], 1))
    await projection.apply_page(first)
    await projection.apply_page(page("catalog", 1, changes([("catalog", "A")], 2)))
    again = await projection.apply_page(first)
    assert again.duplicate
    assert await projection.item_by_sku("A") is None
    assert (await _state(projection, "catalog")).applied_seq == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (lambda p: p.MergeFrom(type(p)(change_count=9)), "holds 2 changes but says change_count=9"),
        (lambda p: setattr(p, "payload", b"not zlib"), "not valid zlib"),
        (lambda p: setattr(p, "stream", "weather"), "'weather' is not one this agent replicates"),
    ],
)
async def test_a_malformed_page_is_refused_with_what_is_wrong(
    projection: Projection,
    bad,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    p = page("catalog", 0, changes([item("A"), item("B")], 1))
    bad(p)
    with pytest.raises(PageRefused, match=message):
        await projection.apply_page(p)
    assert await projection.item_by_sku("A") is None


async def test_a_record_of_another_stream_refuses_the_whole_page(projection: Projection) -> None:
    entries = changes([item("A"), item("B")], 1)
    entries[1].ClearField("catalog_item")
    entries[1].price.CopyFrom(price("p1", "B", 100))
    with pytest.raises(PageRefused, match=r"changes\[1\] \(key 'B'\) carries price"):
        await projection.apply_page(page("catalog", 0, entries))
    assert await projection.item_by_sku("A") is None
    assert await projection.stream_states() == []  # not even a checkpoint row


async def test_snapshot_pages_replace_the_rows_on_the_last_page_while_readers_see_the_old_ones(
    projection: Projection, tmp_path: Path
) -> None:
    await projection.apply_page(page("catalog", 0, changes([item("OLD", "999")], 1)))
    # A snapshot at seq 50 in two pages.
    await projection.apply_page(
        page("catalog", 1, changes([item("N1")], 40), snapshot=True, through_seq=45)
    )
    reader = sqlite3.connect(f"file:{database_path(tmp_path)}?mode=ro", uri=True)
    reader.execute("BEGIN")
    assert reader.execute("SELECT sku FROM catalog_items").fetchall() == [("OLD",)]
    assert await projection.item_by_sku("OLD") is not None  # still the old rows mid-snapshot
    assert await projection.item_by_sku("N1") is None
    done = await projection.apply_page(
        page("catalog", 45, changes([item("N2", "555")], 50), snapshot=True, snapshot_complete=True)
    )
    assert (done.applied_seq, done.rows) == (50, 2)
    # A reader that began before the swap still reads the rows it started with.
    assert reader.execute("SELECT sku FROM catalog_items").fetchall() == [("OLD",)]
    reader.close()
    assert await projection.item_by_sku("OLD") is None
    assert await projection.item_by_barcode("999") is None
    assert (await projection.item_by_barcode("555")) == item("N2", "555")
    assert (await _state(projection, "catalog")).digest == _expected(item("N1"), item("N2", "555"))
    assert await projection.scan_digest("catalog") == _expected(item("N1"), item("N2", "555"))


async def test_a_restarted_snapshot_drops_what_the_interrupted_one_staged(
    projection: Projection,
) -> None:
    await projection.apply_page(
        page("catalog", 0, changes([item("X1")], 1), snapshot=True, through_seq=10)
    )
    await projection.apply_page(
        page(
            "catalog",
            0,
            changes([item("Y1")], 1),
            snapshot=True,
            snapshot_complete=True,
            through_seq=12,
        )
    )
    assert await projection.item_by_sku("X1") is None
    assert (await _state(projection, "catalog")).digest == _expected(item("Y1"))


async def test_snapshot_pages_by_entity_with_a_resume_token_replace_the_stream(
    projection: Projection,
) -> None:
    """The gateway's snapshot: rows by entity with their own seqs (some past the snapshot's
    seq), later pages after = through = the snapshot's seq."""
    await projection.apply_page(page("catalog", 0, changes([item("OLD")], 1)))
    first = page("catalog", 1, changes([item("B")], 30) + changes([item("A")], 7), snapshot=True)
    first.through_seq = first.head_seq = 20
    first.snapshot_first, first.resume_token = True, b"next"
    await projection.apply_page(first)
    # Cut off here; the snapshot starts again (same seqs: the stale staging must go).
    await projection.apply_page(first)
    rest = page("catalog", 20, changes([item("C")], 9), snapshot=True, snapshot_complete=True)
    rest.through_seq = rest.head_seq = 20
    done = await projection.apply_page(rest)
    assert (done.applied_seq, done.rows) == (20, 3)
    assert (await _state(projection, "catalog")).digest == _expected(
        item("B"), item("A"), item("C")
    )
    assert await projection.item_by_sku("OLD") is None
    # A page of a snapshot before the checkpoint is a duplicate, not a restart.
    again = await projection.apply_page(first)
    assert again.duplicate and (await _state(projection, "catalog")).rows == 3
    # A snapshot page is live records only, and says which row is wrong.
    bad = page("catalog", 20, changes([item("D"), ("catalog", "E")], 3), snapshot=True)
    bad.snapshot_first, bad.through_seq = True, 25
    with pytest.raises(PageRefused, match=r"changes\[1\] is a delete; a snapshot holds live"):
        await projection.apply_page(bad)


async def test_a_snapshot_restarted_at_the_same_seq_drops_what_the_first_attempt_staged(
    projection: Projection,
) -> None:
    await projection.apply_page(page("catalog", 0, changes([item("OLD")], 1)))
    start = page("catalog", 1, changes([item("X")], 1), snapshot=True, through_seq=1)
    start.snapshot_first = True
    await projection.apply_page(start)  # staged through seq 1 == the checkpoint
    restart = page("catalog", 1, changes([item("Y")], 1), snapshot=True, through_seq=1)
    restart.snapshot_first, restart.snapshot_complete = True, True
    await projection.apply_page(restart)
    assert await projection.item_by_sku("X") is None
    assert (await _state(projection, "catalog")).digest == _expected(item("Y"))


async def test_a_database_newer_than_the_agent_is_refused(tmp_path: Path) -> None:
    path = database_path(tmp_path)
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer than this agent knows"):
        await Projection.open(tmp_path)


async def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = database_path(tmp_path)
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0].apply(conn)  # what the release before replication created
    conn.execute("INSERT INTO applied_commands VALUES ('c1', 't', 1, '', x'')")
    conn.execute("PRAGMA user_version=1")
    conn.close()
    projection = await Projection.open(tmp_path)
    try:
        assert await projection.applied_command_count() == 1
        await projection.apply_page(page("prices", 0, changes([price("p1", "A", 250)], 1)))
        assert (await projection.price_at("A", "web-eu", 1_800_000_000 * 10**6)) == price(
            "p1", "A", 250
        )
    finally:
        await projection.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


async def test_the_current_price_is_the_latest_effective_one(projection: Projection) -> None:
    base = 1_700_000_000
    entries = changes(
        [
            price("p1", "A", 100, from_seconds=base),
            price("p2", "A", 80, from_seconds=base + 100, until_seconds=base + 200),
            price("p3", "A", 90, from_seconds=base + 50, channel="other"),
        ],
        1,
    )
    await projection.apply_page(page("prices", 0, entries))
    at = lambda s: s * 10**6  # noqa: E731
    assert (await projection.price_at("A", "web-eu", at(base + 10))).price_id == "p1"  # type: ignore[union-attr]
    assert (await projection.price_at("A", "web-eu", at(base + 150))).price_id == "p2"  # type: ignore[union-attr]
    assert (await projection.price_at("A", "web-eu", at(base + 200))).price_id == "p1"  # type: ignore[union-attr]
    assert await projection.price_at("A", "web-eu", at(base - 1)) is None


def test_a_failing_migration_step_leaves_the_database_at_the_last_completed_version(
    tmp_path: Path,
) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk went away")

    conn = sqlite3.connect(tmp_path / "db", isolation_level=None)
    steps = (*MIGRATIONS, Migration(SCHEMA_VERSION + 1, "broken", broken))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, tmp_path / "db", steps)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchall()
    conn.close()


async def test_consecutive_snapshots_swap_back_and_forth_and_changes_apply_after(
    projection: Projection,
) -> None:
    await projection.apply_page(
        page("catalog", 0, changes([item("A", "1")], 1), snapshot=True, snapshot_complete=True)
    )
    await projection.apply_page(
        page("catalog", 1, changes([item("B", "2")], 5), snapshot=True, snapshot_complete=True)
    )
    await projection.apply_page(page("catalog", 5, changes([item("C", "3")], 6)))
    assert await projection.item_by_barcode("1") is None
    assert await projection.item_by_barcode("2") == item("B", "2")
    assert await projection.item_by_barcode("3") == item("C", "3")
    state = await _state(projection, "catalog")
    assert (state.applied_seq, state.rows) == (6, 2)
    assert state.digest == await projection.scan_digest("catalog")


async def test_apply_pages_applies_in_order_and_stops_at_the_first_refused_page(
    projection: Projection,
) -> None:
    pages = [
        page("catalog", 0, changes([item("A")], 1)),
        page("catalog", 1, changes([item("B")], 2)),
        page("catalog", 9, changes([item("X")], 10)),  # a gap
        page("catalog", 2, changes([item("C")], 3)),
    ]
    with pytest.raises(PageOutOfOrder):
        await projection.apply_pages(pages)
    assert [s.applied_seq for s in projection.streams()] == [2]
    assert await projection.item_by_sku("B") is not None
    assert await projection.item_by_sku("C") is None


async def test_prices_keep_their_bytes_as_sent_and_the_checksum_uses_the_shared_definition(
    projection: Projection, tmp_path: Path
) -> None:
    # The agent hashes and stores each record's bytes as they arrived (no re-serialization):
    # for the cloud's deterministic bytes, that is `shared.checksums` exactly.
    p1 = price("P1", "A", 100)
    p2 = price("P2", "A", 120, from_seconds=1_700_000_100, until_seconds=1_700_000_900)
    p1b = price("P1", "A", 90, from_seconds=1_700_000_050)
    p3 = price("P3", "B", 70)
    entries = changes([p1, p2, p3, p1b, ("prices", "P3")], 1)  # P1 twice, P3 deleted
    await projection.apply_page(page("prices", 0, entries))
    state = await _state(projection, "prices")
    assert (state.applied_seq, state.rows) == (5, 2)
    expected = TableDigest.of(
        (p.price_id, p.SerializeToString(deterministic=True)) for p in (p1b, p2)
    )
    assert state.digest == expected == await projection.scan_digest("prices")
    conn = sqlite3.connect(database_path(tmp_path))
    try:
        rows = conn.execute(
            "SELECT price_id, sku, sales_channel_id, effective_from, effective_until, record "
            "FROM prices ORDER BY price_id"
        ).fetchall()
    finally:
        conn.close()
    assert rows == [
        (
            "P1",
            "A",
            "web-eu",
            1_700_000_050_000_000,
            None,
            p1b.SerializeToString(deterministic=True),
        ),
        (
            "P2",
            "A",
            "web-eu",
            1_700_000_100_000_000,
            1_700_000_900_000_000,
            p2.SerializeToString(deterministic=True),
        ),
    ]


async def test_keys_and_text_of_any_unicode_keep_their_exact_bytes_and_checksum(
    projection: Projection, tmp_path: Path
) -> None:
    # A page is written in one statement per table (its rows as JSON, its records' bytes
    # joined): quotes, backslashes, control characters, non-BMP text and a record with
    # nothing but its key must come out exactly as they went in.
    odd = ['A"quote\\back', "tab\tnew\nline", "Käse-Ω", "emoji-😀-\u2028", "plain"]
    items = [item(sku, f'{n}😀"{n}', description=sku * 3) for n, sku in enumerate(odd)]
    bare = records_pb2.CatalogItem(sku="x")
    prices = [price(f"P-{sku}", sku, 100 + n, channel="ch-ü") for n, sku in enumerate(odd)]
    await projection.apply_page(page("catalog", 0, changes([*items, bare], 1)))
    await projection.apply_page(page("prices", 0, changes(prices, 1)))
    for i in items:
        assert await projection.item_by_sku(i.sku) == i
        assert await projection.item_by_barcode(i.barcodes[0]) == i
    assert await projection.item_by_sku("x") == bare
    assert (await _state(projection, "catalog")).digest == _expected(*items, bare)
    assert (await _state(projection, "catalog")).digest == await projection.scan_digest("catalog")
    assert (await _state(projection, "prices")).digest == TableDigest.of(
        (p.price_id, p.SerializeToString(deterministic=True)) for p in prices
    )
    assert (await _state(projection, "prices")).digest == await projection.scan_digest("prices")
    conn = sqlite3.connect(database_path(tmp_path))
    try:
        stored = conn.execute(
            "SELECT price_id, sku, sales_channel_id, typeof(effective_from), record FROM prices"
        ).fetchall()
    finally:
        conn.close()
    assert sorted(stored) == sorted(
        (p.price_id, p.sku, "ch-ü", "integer", p.SerializeToString(deterministic=True))
        for p in prices
    )
