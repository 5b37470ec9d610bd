"""The replication ops view: per site, how far its store is behind the cloud and what it last
reported (applied seq vs head, lag in changes and seconds, outbox depth, last upsync, last
checksum result).

Service room: reads sites, channels, the change log, the sync reports agents made through the
gateway and the fact log, through the ports it is given; synchronous (call from a thread in
async code).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ameide_core_proto.process.commerce.v1 import facts_pb2, store_site_pb2
from cloud.ports import ChangeLogPort, ChannelsPort, FactsPort, SitesPort, SyncReportsPort
from cloud.workflows.bindings import derive_replication_bindings
from shared.errors import NotFound
from shared.naming import validate_site_id

__all__ = ["ChecksumResult", "SiteSyncStatus", "StreamLag", "SyncStatusService"]


@dataclass(frozen=True)
class StreamLag:
    """One down stream of a site: what its store applied against the cloud's head."""

    stream: str
    applied_seq: int | None
    """None: the store never reported this stream."""
    head_seq: int
    lag_changes: int
    lag_seconds: float
    """Age of the oldest change of the site's scopes it has not applied; 0 when caught up."""
    reported_at: datetime | None


@dataclass(frozen=True)
class ChecksumResult:
    """The checksum comparison of the site's last RunDownsync."""

    match: bool
    at: datetime


@dataclass(frozen=True)
class SiteSyncStatus:
    site_id: str
    status: str
    streams: tuple[StreamLag, ...]
    outbox_pending: int | None
    outbox_reported_at: datetime | None
    last_upsync_at: datetime | None
    """The later of the last acknowledged push and the last UpsyncCompleted fact."""
    last_checksum: ChecksumResult | None

    @property
    def lag_changes(self) -> int:
        return sum(s.lag_changes for s in self.streams)

    @property
    def lag_seconds(self) -> float:
        return max((s.lag_seconds for s in self.streams), default=0.0)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (times as ISO-8601 text) for `--json`."""

        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "site_id": self.site_id,
            "status": self.status,
            "lag_changes": self.lag_changes,
            "lag_seconds": self.lag_seconds,
            "streams": [
                {
                    "stream": s.stream,
                    "applied_seq": s.applied_seq,
                    "head_seq": s.head_seq,
                    "lag_changes": s.lag_changes,
                    "lag_seconds": s.lag_seconds,
                    "reported_at": iso(s.reported_at),
                }
                for s in self.streams
            ],
            "outbox_pending": self.outbox_pending,
            "outbox_reported_at": iso(self.outbox_reported_at),
            "last_upsync_at": iso(self.last_upsync_at),
            "last_checksum": None
            if self.last_checksum is None
            else {
                "result": "match" if self.last_checksum.match else "mismatch",
                "at": iso(self.last_checksum.at),
            },
        }


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SyncStatusService:
    """Builds `SiteSyncStatus` for one site or every ready site."""

    def __init__(
        self,
        sites: SitesPort,
        channels: ChannelsPort,
        changes: ChangeLogPort,
        reports: SyncReportsPort,
        facts: FactsPort,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._sites = sites
        self._channels = channels
        self._changes = changes
        self._reports = reports
        self._facts = facts
        self._clock = clock

    def site(self, site_id: str) -> SiteSyncStatus:
        """The status of one site (any status); `NotFound` for an unknown one."""
        validate_site_id(site_id)
        record = self._sites.get(site_id)
        if record is None:
            raise NotFound(f"site {site_id} does not exist; see `commerce-cloud sites list`")
        return self._status(record.site_id, record.sales_channel_id, record.status)

    def ready(self) -> list[SiteSyncStatus]:
        """The status of every ready site, in site id order."""
        return [
            self._status(r.site_id, r.sales_channel_id, r.status) for r in self._sites.list("ready")
        ]

    def _status(self, site_id: str, channel_id: str, status: str) -> SiteSyncStatus:
        now = self._clock()
        channel = self._channels.get(channel_id)
        bound: dict[str, list[str]] = {}
        for binding in derive_replication_bindings(
            site_id, channel_id, list(channel.streams) if channel is not None else []
        ):
            if binding.direction == store_site_pb2.REPLICATION_DIRECTION_DOWN:
                bound.setdefault(binding.stream, []).append(binding.scope)
        report = self._reports.get(site_id)
        streams = []
        for stream, scopes in sorted(bound.items()):
            head = self._changes.head(stream)
            applied = report.applied.get(stream)
            seq = applied.applied_seq if applied is not None else None
            oldest = self._changes.oldest_after(stream, scopes, seq or 0)
            streams.append(
                StreamLag(
                    stream=stream,
                    applied_seq=seq,
                    head_seq=head,
                    lag_changes=max(0, head - (seq or 0)),
                    lag_seconds=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
                    reported_at=applied.reported_at if applied is not None else None,
                )
            )
        subject = f"site/{site_id}"
        upsynced = self._facts.latest(subject, "UpsyncCompleted")
        pushes = [t for t in (report.last_push_at, upsynced and upsynced.occurred_at) if t]
        downsynced = self._facts.latest(subject, "DownsyncCompleted")
        checksum = None
        if downsynced is not None:
            fact = facts_pb2.ProcessFact.FromString(downsynced.payload)
            checksum = ChecksumResult(
                fact.downsync_completed.checksums_match, downsynced.occurred_at
            )
        return SiteSyncStatus(
            site_id=site_id,
            status=status,
            streams=tuple(streams),
            outbox_pending=report.outbox_pending,
            outbox_reported_at=report.outbox_reported_at,
            last_upsync_at=max(pushes) if pushes else None,
            last_checksum=checksum,
        )
