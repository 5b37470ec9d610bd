"""SIGKILL a real agent process in the middle of applying a large page: the projection it
leaves is the one before the page or the one after it, never a mix, and its checkpoint and
running checksum match its rows."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

import pytest

from edge_agent.projection import Projection

ROWS = 200_000
REPO = Path(__file__).resolve().parents[2]
_CHILD = (sys.executable, "-m", "tests.edge_agent.crash_apply_child")


@pytest.mark.parametrize("delay", [0.05, 0.4, 1.0])
async def test_a_kill_mid_page_leaves_before_or_after_and_the_next_start_resumes(
    tmp_path: Path, delay: float
) -> None:
    child = await asyncio.create_subprocess_exec(
        *_CHILD, str(tmp_path), str(ROWS), cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = await child.stdout.readline()
        assert line.strip() == b"applying"
        await asyncio.sleep(delay)  # somewhere inside the page's transaction (or just after)
        child.send_signal(signal.SIGKILL)
    finally:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()
    projection = await Projection.open(tmp_path)
    try:
        (state,) = await projection.stream_states()
        assert (state.applied_seq, state.rows) in {(1, 1), (ROWS + 1, ROWS + 1)}
        assert await projection.scan_digest("catalog") == state.digest
        assert await projection.item_by_sku("BEFORE") is not None
        last = await projection.item_by_barcode(f"9{ROWS - 1:07d}")
        assert (last is not None) == (state.applied_seq == ROWS + 1)
    finally:
        await projection.close()
    # The next start pulls again from the checkpoint and ends with every row.
    resumed = await asyncio.create_subprocess_exec(
        *_CHILD, str(tmp_path), str(ROWS), cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(resumed.communicate(), 120)
    if state.applied_seq == 1:
        assert out.split() == [b"applying", b"applied"]
    projection = await Projection.open(tmp_path)
    try:
        (state,) = await projection.stream_states()
        assert (state.applied_seq, state.rows) == (ROWS + 1, ROWS + 1)
        assert await projection.scan_digest("catalog") == state.digest
    finally:
        await projection.close()
