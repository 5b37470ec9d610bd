"""Installer room: POS basket leases, the installer's proof that no transaction is open.

POS software holds a lease while a basket is open (acquire, renew, release through the POS
API); a lease not renewed within its TTL lapses. The installer waits for zero leases up to a
deadline and, once there are none, holds new acquisitions until the cutover is over, so no
basket opens under an update. In memory on the event loop: a restart of the agent ends every
lease (POS software acquires again). The clock is injected (monotonic seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_TTL_SECONDS = 3600


class LeaseRefused(Exception):
    """A lease cannot be granted now (an update is being applied); retry after `retry_after`."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LeaseNotFound(KeyError):
    """The lease expired or was released."""


@dataclass
class _Lease:
    register_id: str
    expires: float


class BasketLeases:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._held_by: str | None = None
        self._changed = asyncio.Event()

    @staticmethod
    def check_ttl(ttl_seconds: int) -> int:
        if not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
            raise ValueError(
                f"ttl_seconds: {ttl_seconds} is outside 1..{MAX_TTL_SECONDS}; renew a long "
                "basket's lease instead of asking for a long one"
            )
        return ttl_seconds

    def _expire(self) -> None:
        now = self._clock()
        for lease_id in [k for k, v in self._leases.items() if v.expires <= now]:
            del self._leases[lease_id]

    def open_count(self) -> int:
        self._expire()
        return len(self._leases)

    def acquire(self, register_id: str, ttl_seconds: int) -> tuple[str, float]:
        """A new lease id and its expiry (clock seconds); `LeaseRefused` during an update."""
        self.check_ttl(ttl_seconds)
        if self._held_by is not None:
            raise LeaseRefused(
                f"the store server is applying update {self._held_by}; no basket may open "
                "until it is back (usually a minute or two): retry shortly",
                retry_after=30.0,
            )
        lease_id = secrets.token_hex(12)
        expires = self._clock() + ttl_seconds
        self._leases[lease_id] = _Lease(register_id, expires)
        return lease_id, expires

    def renew(self, lease_id: str, ttl_seconds: int) -> float:
        self.check_ttl(ttl_seconds)
        self._expire()
        lease = self._leases.get(lease_id)
        if lease is None:
            raise LeaseNotFound(lease_id)
        lease.expires = self._clock() + ttl_seconds
        return lease.expires

    def release(self, lease_id: str) -> None:
        """Give a lease back (unknown or lapsed ones too: releasing is idempotent)."""
        self._leases.pop(lease_id, None)
        self._changed.set()

    async def quiesce(self, holder: str, wait_seconds: float, poll: float = 0.2) -> bool:
        """Wait up to `wait_seconds` for zero open leases; True (and new leases held back
        for `holder`) when reached, False when the store stayed busy. Never ends a lease."""
        deadline = self._clock() + max(0.0, wait_seconds)
        while True:
            if self.open_count() == 0:
                self._held_by = holder
                return True
            left = deadline - self._clock()
            if left <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(left, poll))

    def resume(self) -> None:
        """Let baskets open again (the update was deferred or is over)."""
        self._held_by = None

    @property
    def held(self) -> bool:
        return self._held_by is not None
