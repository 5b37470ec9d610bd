"""The running agent's status, kept in memory so the health page never waits on the disk.

The daemon builds it from the identity it loaded and the projection's in-memory connection
status, the in-memory stream states and outbox depth, and tells it about renewed
certificates; no I/O here.
"""

from __future__ import annotations

from collections.abc import Callable

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.health.report import IdentitySummary, StatusReport, build_report
from edge_agent.identity.certificates import CertificateFacts
from edge_agent.outbox import RefusedRecord
from edge_agent.projection import ConnectionState, StreamState
from edge_agent.realtime.status import RealtimeStatus


class LiveStatus:
    """`report()` is cheap and safe to call on the event loop for every request."""

    def __init__(
        self,
        identity: IdentitySummary,
        connection: Callable[[], ConnectionState],
        streams: Callable[[], list[StreamState]] = list,
        outbox_pending: Callable[[], int | None] = lambda: None,
        installed: Callable[[], edge_pb2.InstalledBundles | None] = lambda: None,
        outbox_refused: Callable[[], list[RefusedRecord]] = list,
        projection_rebuilt: str = "",
    ) -> None:
        self._projection_rebuilt = projection_rebuilt
        self._installed = installed
        self._identity = identity
        self._connection = connection
        self._streams = streams
        self._outbox_pending = outbox_pending
        self._outbox_refused = outbox_refused
        self._realtime: Callable[[], RealtimeStatus | None] = lambda: None

    def watch_realtime(self, source: Callable[[], RealtimeStatus | None]) -> None:
        """Where the real-time operations' latest status comes from (kept in memory)."""
        self._realtime = source

    def certificate_renewed(self, facts: CertificateFacts) -> None:
        self._identity = IdentitySummary(self._identity.record, facts)

    def report(self) -> StatusReport:
        return build_report(
            self._identity,
            self._connection(),
            streams=self._streams(),
            outbox_pending=self._outbox_pending(),
            realtime=self._realtime(),
            installed=self._installed(),
            outbox_refused=self._outbox_refused(),
            projection_rebuilt=self._projection_rebuilt,
        )
