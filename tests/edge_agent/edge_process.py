"""Test support for the edge agent: a real `commerce-edge run` process and its log."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def agent_process(
    data_dir: Path, env: dict[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A real `commerce-edge run` for `data_dir` (log in data_dir/agent.log), SIGTERM at end."""
    log = (data_dir / "agent.log").open("ab")
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "commerce-edge"),
        "run",
        "--data-dir",
        str(data_dir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_EDGE_")},
            "COMMERCE_EDGE_RECONNECT_INITIAL_SECONDS": "0.05",
            "COMMERCE_EDGE_RECONNECT_MAX_SECONDS": "0.5",
            "COMMERCE_EDGE_POS_ADDRESS": "127.0.0.1:0",  # many agents at once: any free port
            **env,
        },
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


def agent_log(data_dir: Path) -> str:
    log = data_dir / "agent.log"
    return log.read_text(errors="replace") if log.exists() else ""
