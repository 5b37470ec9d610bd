"""Test support: another process that holds an exclusive lock on an SQLite database.

A real `python -c` child with its own connection runs `BEGIN EXCLUSIVE` and keeps the
transaction open until released (or until `hold_at_most` seconds passed, so a broken test
cannot hang), as a backup tool or a stray `sqlite3` shell would.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

_HOLDER = """
import sqlite3, sys, select
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
conn.execute("ROLLBACK")
print("released", flush=True)
"""


@dataclass
class HeldLock:
    process: asyncio.subprocess.Process

    @property
    def held(self) -> bool:
        return self.process.returncode is None

    async def release(self) -> None:
        """Roll back the holder's transaction and wait until it has exited."""
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            await asyncio.wait_for(self.process.wait(), 30)


@contextlib.asynccontextmanager
async def exclusive_lock(path: Path, *, hold_at_most: float = 60.0) -> AsyncIterator[HeldLock]:
    """Hold an exclusive lock on the database at `path` from another process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _HOLDER,
        str(path),
        str(hold_at_most),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    lock = HeldLock(proc)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if line.strip() != b"locked":
            assert proc.stderr is not None
            raise AssertionError(f"lock holder failed: {(await proc.stderr.read()).decode()}")
        yield lock
    finally:
        with contextlib.suppress(ProcessLookupError):
            await lock.release()
