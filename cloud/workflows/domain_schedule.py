"""When VerifyDomainClaim checks DNS again: a bounded backoff up to a deadline.

Workflow room, pure helper: the workflow calls it with its own clock (standard library only).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

# First minutes, then hours: 1, 2, 5, 10, 30 min, 1 h, 2 h, then every 4 h.
DEFAULT_INTERVALS_SECONDS = (60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0)
DEFAULT_DEADLINE_SECONDS = 72 * 3600.0


def check_interval(intervals: Sequence[float], checks_done: int) -> timedelta:
    """The wait after the `checks_done`-th check (1-based); the last interval repeats."""
    steps = list(intervals) or list(DEFAULT_INTERVALS_SECONDS)
    index = min(max(checks_done, 1), len(steps)) - 1
    return timedelta(seconds=steps[index])


def next_check_at(
    now: datetime, deadline: datetime, intervals: Sequence[float], checks_done: int
) -> datetime | None:
    """When to check next, or None when the deadline has passed (the last check is at it)."""
    if now >= deadline:
        return None
    return min(now + check_interval(intervals, checks_done), deadline)
