"""The projection file missing, emptied or damaged before the agent starts: real SQLite files.

`Projection.open` finds it, moves a damaged file aside, makes a new one with the site
configuration kept beside it, and says so (`rebuilt_at_start`, the note `status` reads).
"""

from __future__ import annotations

from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2
from edge_agent.projection import Projection, database_path, read_start_rebuild
from tests.edge_agent.replication_pages import changes, item, page


def _config(generation: int) -> store_site_pb2.SiteConfig:
    return store_site_pb2.SiteConfig(
        site_id="store-1",
        generation=generation,
        sales_channel_id="web-eu",
        name=f"Store 1 (generation {generation})",
        timezone="Europe/Amsterdam",
        bindings=[
            store_site_pb2.ReplicationBinding(
                stream="catalog", direction=store_site_pb2.REPLICATION_DIRECTION_DOWN
            )
        ],
    )


async def _configured(data_dir: Path, *generations: int) -> None:
    """An agent's projection that applied `generations` and a catalog page, then stopped."""
    projection = await Projection.open(data_dir)
    try:
        for generation in generations:
            command = f"apply-config/{generation}"
            await projection.apply_site_config(
                command,
                _config(generation),
                lambda applied, c=command: edge_pb2.CommandResult(  # type: ignore[misc]
                    command_id=c, ok=True, site_config_applied=applied
                ),
            )
        await projection.apply_page(page("catalog", 0, changes([item("A", "111")], 1)))
    finally:
        await projection.close()


async def test_a_missing_file_is_rebuilt_with_the_site_configuration_kept_beside_it(
    tmp_path: Path,
) -> None:
    await _configured(tmp_path, 1, 3, 2)  # generation 2 comes late and loses
    database_path(tmp_path).unlink()
    projection = await Projection.open(tmp_path)
    try:
        assert projection.rebuilt_at_start is not None
        assert projection.rebuilt_at_start.reason == "file was missing"
        stored = await projection.site_config()
        assert stored is not None and stored.config == _config(3)
        assert stored.command_id == "apply-config/3"
        assert projection.connection_state().config_generation == 3
        assert await projection.item_by_sku("A") is None  # rows come from the cloud again
        assert [s.stream for s in await projection.stream_states()] == []
    finally:
        await projection.close()
    note = read_start_rebuild(tmp_path)
    assert note is not None and "projection rebuilt at start" in note.describe()
    assert "file was missing" in note.describe()

    # The next start finds the file in order: nothing to rebuild, the note stays as history.
    projection = await Projection.open(tmp_path)
    try:
        assert projection.rebuilt_at_start is None
    finally:
        await projection.close()


async def test_a_damaged_file_is_moved_aside_kept_and_rebuilt(tmp_path: Path) -> None:
    await _configured(tmp_path, 1)
    path = database_path(tmp_path)
    garbage = b"this is not a database, someone copied a log over it\n" * 200
    for twin in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        twin.unlink(missing_ok=True)
    path.write_bytes(garbage)
    projection = await Projection.open(tmp_path)
    try:
        rebuilt = projection.rebuilt_at_start
        assert rebuilt is not None and rebuilt.reason.startswith("file was damaged (")
        assert rebuilt.moved_to is not None
        assert Path(rebuilt.moved_to).read_bytes() == garbage  # kept for support
        assert rebuilt.moved_to in rebuilt.describe()
        stored = await projection.site_config()
        assert stored is not None and stored.config == _config(1)
        await projection.apply_page(page("catalog", 0, changes([item("A", "111")], 1)))
        assert await projection.item_by_barcode("111") is not None
    finally:
        await projection.close()


async def test_an_emptied_file_is_rebuilt(tmp_path: Path) -> None:
    await _configured(tmp_path, 1)
    path = database_path(tmp_path)
    for twin in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        twin.unlink(missing_ok=True)
    path.write_bytes(b"")
    projection = await Projection.open(tmp_path)
    try:
        assert projection.rebuilt_at_start is not None
        assert projection.rebuilt_at_start.reason == "file had no schema"
        assert (await projection.site_config()) is not None
    finally:
        await projection.close()


async def test_a_first_start_and_a_database_without_configuration_are_not_rebuilds(
    tmp_path: Path,
) -> None:
    projection = await Projection.open(tmp_path)  # as `commerce-edge enroll` makes it
    await projection.close()
    database_path(tmp_path).unlink()  # never configured: nothing was lost
    projection = await Projection.open(tmp_path)
    try:
        assert projection.rebuilt_at_start is None
    finally:
        await projection.close()
    assert read_start_rebuild(tmp_path) is None
