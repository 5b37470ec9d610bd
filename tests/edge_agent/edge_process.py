"""Test support for the edge agent: a real `commerce-edge run` process that redials fast."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from tests.support.stack import agent_process as _agent_process
from tests.support.stack import free_port

__all__ = ["agent_log", "agent_process", "free_port"]


@contextlib.asynccontextmanager
async def agent_process(
    data_dir: Path, env: dict[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`tests.support.stack.agent_process` with a quick redial; `env` wins."""
    fast = {
        "COMMERCE_EDGE_RECONNECT_INITIAL_SECONDS": "0.05",
        "COMMERCE_EDGE_RECONNECT_MAX_SECONDS": "0.5",
        "COMMERCE_EDGE_POS_ADDRESS": "127.0.0.1:0",  # many agents at once: any free port
    }
    async with _agent_process(data_dir, {**fast, **env}) as proc:
        yield proc


def agent_log(data_dir: Path) -> str:
    """The agent's whole log."""
    log = data_dir / "agent.log"
    return log.read_text(errors="replace") if log.exists() else ""
