"""Which sync reports of agents the gateway writes: a pull loop may call many times a second,
so a site's report is written only when what it says moved, or when the last write of it is
older than `REFRESH_SECONDS` (so "reported at" stays fresh for an idle, caught-up store).

Gateway room: pure in-memory bookkeeping on the event loop (no I/O); the caller writes
through `SyncReportsPort` in a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 30.0


class ReportThrottle:
    """Decides per site whether a report is worth writing."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._refresh = refresh_seconds
        self._written: dict[str, tuple[Hashable, float]] = {}

    def due(self, site_id: str, value: Hashable, now: float) -> bool:
        """True (and remembered as written) when `value` differs from the site's last
        written one or that write is `refresh_seconds` old; call `forget` if the write fails."""
        last = self._written.get(site_id)
        if last is not None and last[0] == value and now - last[1] < self._refresh:
            return False
        self._written[site_id] = (value, now)
        return True

    def forget(self, site_id: str) -> None:
        """The last write failed: write the next report whatever it says."""
        self._written.pop(site_id, None)
