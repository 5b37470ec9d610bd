"""Test support, run as a child process: apply a small page, then a large one, to be killed.

`python -m tests.edge_agent.crash_apply_child DATA_DIR ROWS` prints `applying` just before the
large page's transaction starts and `applied` once it committed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from edge_agent.projection import Projection
from tests.edge_agent.replication_pages import changes, item, page


async def main(data_dir: Path, rows: int) -> None:
    projection = await Projection.open(data_dir)
    if not await projection.stream_states():
        await projection.apply_page(page("catalog", 0, changes([item("BEFORE", "1")], 1)))
    large = page("catalog", 1, changes([item(f"S{i:07d}", f"9{i:07d}") for i in range(rows)], 2))
    print("applying", flush=True)
    await projection.apply_page(large)
    print("applied", flush=True)
    await projection.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
