"""SIGKILL a real agent process in the middle of applying a large page or a snapshot: the
projection it leaves is the one before or the one after, never a mix, its checkpoint and
running checksum match its rows, and the next start resumes from the checkpoint."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

import pytest

from edge_agent.projection import Projection
from tests.edge_agent.crash_apply_child import snapshot_through

ROWS = 200_000
REPO = Path(__file__).resolve().parents[2]
_CHILD = (sys.executable, "-m", "tests.edge_agent.crash_apply_child")


async def _kill_after(tmp_path: Path, mode: str, delay: float) -> None:
    child = await asyncio.create_subprocess_exec(
        *_CHILD, str(tmp_path), str(ROWS), mode, cwd=REPO, stdout=asyncio.subprocess.PIPE
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


async def _resume(tmp_path: Path, mode: str) -> None:
    """The next start pulls again from the checkpoint and applies what it gets."""
    resumed = await asyncio.create_subprocess_exec(
        *_CHILD, str(tmp_path), str(ROWS), mode, cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(resumed.communicate(), 120)
    assert out.split() == [b"applying", b"applied"]


@pytest.mark.parametrize("delay", [0.05, 0.4, 1.0])
async def test_a_kill_mid_page_leaves_before_or_after_and_the_next_start_resumes(
    tmp_path: Path, delay: float
) -> None:
    await _kill_after(tmp_path, "changes", delay)
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
    await _resume(tmp_path, "changes")
    projection = await Projection.open(tmp_path)
    try:
        (state,) = await projection.stream_states()
        assert (state.applied_seq, state.rows) == (ROWS + 1, ROWS + 1)
        assert await projection.scan_digest("catalog") == state.digest
    finally:
        await projection.close()


@pytest.mark.parametrize("delay", [0.05, 0.8, 1.6])
async def test_a_kill_mid_snapshot_leaves_the_old_rows_or_the_whole_snapshot(
    tmp_path: Path, delay: float
) -> None:
    await _kill_after(tmp_path, "snapshot", delay)
    through = snapshot_through(ROWS)
    projection = await Projection.open(tmp_path)
    try:
        (state,) = await projection.stream_states()
        assert (state.applied_seq, state.rows) in {(1, 1), (through, ROWS)}
        assert await projection.scan_digest("catalog") == state.digest
        old = await projection.item_by_sku("BEFORE")
        new = await projection.item_by_barcode(f"9{ROWS - 1:07d}")
        assert (old is not None, new is not None) == (
            (True, False) if state.applied_seq == 1 else (False, True)
        )
    finally:
        await projection.close()
    await _resume(tmp_path, "snapshot")
    projection = await Projection.open(tmp_path)
    try:
        (state,) = await projection.stream_states()
        assert (state.applied_seq, state.rows, state.snapshot_through_seq) == (through, ROWS, None)
        assert await projection.scan_digest("catalog") == state.digest
        assert await projection.item_by_sku("BEFORE") is None
    finally:
        await projection.close()
