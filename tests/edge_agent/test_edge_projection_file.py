"""The projection's database file deleted under an open projection (a real SQLite file):
re-created from the open connection, with every committed row, and written to from then on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_agent.projection import Projection, database_path, read_stream_states
from tests.edge_agent.replication_pages import changes, item, page


async def test_a_deleted_database_file_is_recreated_with_what_was_committed(
    tmp_path: Path,
) -> None:
    projection = await Projection.open(tmp_path)
    try:
        await projection.apply_page(page("catalog", 0, changes([item("A"), item("B")], 1)))
        assert not await projection.restore_if_gone()  # nothing happened to it
        path = database_path(tmp_path)
        for leftover in path.parent.glob("edge.db*"):
            leftover.unlink()
        assert await projection.restore_if_gone()
        assert path.exists()
        # Readers and the writer use the new file: what was there, and what comes next.
        assert await projection.item_by_sku("A") is not None
        await projection.apply_page(page("catalog", 2, changes([item("C")], 3)))
        assert await projection.item_by_sku("C") is not None
        assert [(s.stream, s.applied_seq, s.rows) for s in read_stream_states(tmp_path)] == [
            ("catalog", 3, 3)
        ]
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("SELECT COUNT(*) FROM catalog_items").fetchone() == (3,)
        finally:
            conn.close()
        assert not await projection.restore_if_gone()
    finally:
        await projection.close()
