"""Test support, run as a child process: apply a small page, then a large one, to be killed.

`python -m tests.edge_agent.crash_apply_child DATA_DIR ROWS [changes|snapshot]` prints
`applying` just before the large page (or the two pages of a snapshot) and `applied` once
committed. In `snapshot` mode the large data comes as a snapshot at seq ROWS + 10 in two pages.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from edge_agent.projection import Projection
from tests.edge_agent.replication_pages import changes, item, page


def snapshot_through(rows: int) -> int:
    return rows + 10


async def main(data_dir: Path, rows: int, mode: str) -> None:
    projection = await Projection.open(data_dir)
    if not await projection.stream_states():
        await projection.apply_page(page("catalog", 0, changes([item("BEFORE", "1")], 1)))
    items = [item(f"S{i:07d}", f"9{i:07d}") for i in range(rows)]
    if mode == "snapshot":
        half, through = rows // 2, snapshot_through(rows)
        pages = [
            page("catalog", 1, changes(items[:half], 2), snapshot=True, through_seq=half + 1),
            page(
                "catalog",
                half + 1,
                changes(items[half:], half + 2),
                snapshot=True,
                snapshot_complete=True,
                through_seq=through,
            ),
        ]
    else:
        pages = [page("catalog", 1, changes(items, 2))]
    print("applying", flush=True)
    for p in pages:
        await projection.apply_page(p)
    print("applied", flush=True)
    await projection.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else ""))
