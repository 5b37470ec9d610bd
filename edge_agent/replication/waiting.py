"""Replication room: waiting on events with a bound (no I/O)."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_any(
    stopping: asyncio.Event, other: asyncio.Event | None, seconds: float | None
) -> None:
    """Wait until `stopping` or `other` is set, at most `seconds` (None: no bound)."""
    waiters = [asyncio.ensure_future(stopping.wait())]
    if other is not None:
        waiters.append(asyncio.ensure_future(other.wait()))
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
