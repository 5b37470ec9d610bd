"""Heartbeats while an activity waits on slow work (a CA, nginx, a thread pool).

Activity room: wraps an awaitable and calls `activity.heartbeat()` while it runs; touches
nothing else. With a heartbeat timeout on the activity, Temporal notices within that timeout
when an attempt is not running (a worker that died, or a task the server marked started but
never delivered) instead of waiting for the whole start-to-close timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from temporalio import activity

__all__ = ["heartbeating"]

T = TypeVar("T")


async def heartbeating(work: Awaitable[T], *, every_seconds: float = 2.0) -> T:
    """The result of `work`, heartbeating every `every_seconds` until it is done."""
    task = asyncio.ensure_future(work)
    local = activity.info().is_local  # a local activity is timed by its workflow task
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=every_seconds)
            if done:
                return task.result()
            if not local:
                activity.heartbeat()
    finally:
        if not task.done():
            task.cancel()
