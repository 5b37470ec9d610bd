"""Activities of RunDownsync, RunUpsync and RebuildStoreSiteProjection.

Activity room: reads the site, its channel, the change log and the ingested records through
the ports it is given, and appends facts; raises `ApplicationError` with a `type` for every
business failure. Talking to the store agent goes through `SiteCommandActivities`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ameide_core_proto.process.commerce.v1 import store_site_pb2, sync_pb2
from cloud.activities.facts import append_fact
from cloud.activities.messages import RecordedFact
from cloud.activities.replication_messages import (
    CompareDownsync,
    CompareUpsync,
    DownsyncComparison,
    ListReadySites,
    PreparedReplication,
    PrepareReplication,
    ReadySites,
    RecordReplicationFact,
    RegisterDayComparison,
    StreamComparison,
    StreamPosition,
    UpsyncComparison,
)
from cloud.ports import StorePort
from cloud.workflows.bindings import derive_replication_bindings
from shared.checksums import TableDigest

logger = logging.getLogger(__name__)

_DIRECTIONS = {
    "down": store_site_pb2.REPLICATION_DIRECTION_DOWN,
    "up": store_site_pb2.REPLICATION_DIRECTION_UP,
}


def _fail(kind: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


class ReplicationActivities:
    """Side effects of replication control."""

    def __init__(self, store: StorePort, *, command_timeout: timedelta) -> None:
        self._store = store
        self._command_timeout = command_timeout

    @activity.defn(name="PrepareReplication")
    async def prepare_replication(self, req: PrepareReplication) -> PreparedReplication:
        """Check the site can replicate and read where each of its streams stands."""
        return await asyncio.to_thread(self._prepare, req)

    def _prepare(self, req: PrepareReplication) -> PreparedReplication:
        direction = _DIRECTIONS.get(req.direction)
        if direction is None:
            raise _fail("InvalidReplicationRequest", f"direction {req.direction!r} is not down/up")
        site = self._store.sites.get(req.site_id)
        if site is None:
            raise _fail(
                "UnknownSite",
                f"site {req.site_id} does not exist; see `commerce-cloud sites list`",
            )
        if site.status != "ready":
            raise _fail(
                "SiteNotReady",
                f"site {req.site_id} is {site.status}, not ready; provision it first "
                "(`commerce-cloud sites provision`)",
            )
        channel = self._store.channels.get(site.sales_channel_id)
        bindings = [
            b
            for b in derive_replication_bindings(
                site.site_id, site.sales_channel_id, list(channel.streams) if channel else []
            )
            if b.direction == direction
        ]
        bound = {b.stream: b.scope for b in bindings}
        unknown = sorted(set(req.streams) - set(bound))
        if unknown:
            raise _fail(
                "InvalidReplicationRequest",
                f"site {req.site_id} is not bound to stream(s) {', '.join(unknown)}; it is bound "
                f"to {', '.join(sorted(bound))}",
            )
        wanted = req.streams or sorted(bound)
        positions = [
            StreamPosition(
                stream=stream,
                scope=bound[stream],
                head_seq=self._store.changes.head(stream, [bound[stream]])
                if req.direction == "down"
                else 0,
            )
            for stream in wanted
        ]
        return PreparedReplication(
            site_id=site.site_id,
            sales_channel_id=site.sales_channel_id,
            streams=positions,
            command_timeout_seconds=self._command_timeout.total_seconds(),
        )

    @activity.defn(name="CompareDownsync")
    async def compare_downsync(self, req: CompareDownsync) -> DownsyncComparison:
        """The cloud's head and checksum of each stream beside what the agent reported."""
        return await asyncio.to_thread(self._compare_downsync, req)

    def _compare_downsync(self, req: CompareDownsync) -> DownsyncComparison:
        status = sync_pb2.ReplicationStatus.FromString(req.status)
        applied = {c.stream: c.applied_seq for c in status.checkpoints}
        sums = {c.table: c for c in status.checksums}
        compared = []
        for position in req.streams:
            scopes = [position.scope]
            # Head, checksum, head: equal heads mean no write landed between, so the checksum
            # is the one of that head. Under constant writes the last try stands; its head
            # then differs from the agent's and the workflow asks for another round.
            for _ in range(5):
                head = self._store.changes.head(position.stream, scopes)
                digest = self._store.changes.checksum(position.stream, scopes)
                if self._store.changes.head(position.stream, scopes) == head:
                    break
            agent = sums.get(position.stream)
            compared.append(
                StreamComparison(
                    stream=position.stream,
                    agent_seq=applied.get(position.stream, 0),
                    cloud_head=head,
                    agent_rows=agent.rows if agent else 0,
                    cloud_rows=digest.rows,
                    # A stream the agent holds nothing of yet is an empty table.
                    agent_digest=agent.digest if agent else TableDigest().hex,
                    cloud_digest=digest.hex,
                )
            )
        return DownsyncComparison(streams=compared)

    @activity.defn(name="CompareUpsync")
    async def compare_upsync(self, req: CompareUpsync) -> UpsyncComparison:
        """Per register and business day: the store's counts and totals beside the cloud's."""
        return await asyncio.to_thread(self._compare_upsync, req)

    def _compare_upsync(self, req: CompareUpsync) -> UpsyncComparison:
        status = sync_pb2.ReplicationStatus.FromString(req.status)
        cloud = {
            (t.register_id, t.business_day): t
            for t in self._store.ingest.register_day_totals(req.site_id)
        }
        store = {(t.register_id, t.business_day): t for t in status.register_days}
        days = []
        for key in sorted(set(cloud) | set(store)):
            c = cloud.get(key)
            s = store.get(key)
            days.append(
                RegisterDayComparison(
                    register_id=key[0],
                    business_day=key[1],
                    store_transactions=s.transactions if s else 0,
                    cloud_transactions=c.transactions if c else 0,
                    store_returns=s.returns if s else 0,
                    cloud_returns=c.returns if c else 0,
                    store_net_minor_units=s.net_minor_units if s else 0,
                    cloud_net_minor_units=c.net_minor_units if c else 0,
                )
            )
        return UpsyncComparison(
            register_days=days,
            records_ingested=sum(c.transactions + c.returns for c in cloud.values()),
            outbox_pending=status.outbox_pending,
        )

    @activity.defn(name="ListReadySites")
    async def list_ready_sites(self, req: ListReadySites) -> ReadySites:
        """One page of ready sites in id order, after the cursor."""
        records = await asyncio.to_thread(
            self._store.sites.list, "ready", after=req.after_site_id, limit=req.limit
        )
        return ReadySites(site_ids=[r.site_id for r in records])

    @activity.defn(name="RecordReplicationFact")
    async def record_replication_fact(self, req: RecordReplicationFact) -> RecordedFact:
        """Append a replication fact once (its id is deterministic)."""

        return await asyncio.to_thread(append_fact, self._store.facts, req.fact)
