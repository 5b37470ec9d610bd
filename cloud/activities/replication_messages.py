"""One input and one output dataclass per replication activity (fields added later get defaults).

Activity room, pure: shared by the replication workflows and their activities.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PrepareReplication:
    site_id: str
    # "down" or "up"; which of the site's bound streams the run is about.
    direction: str
    # Streams asked for; empty means every stream of that direction the site is bound to.
    streams: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StreamPosition:
    stream: str
    scope: str
    # The stream's newest seq visible for this scope when read.
    head_seq: int


@dataclass(frozen=True)
class PreparedReplication:
    site_id: str
    sales_channel_id: str
    streams: list[StreamPosition]
    command_timeout_seconds: float


@dataclass(frozen=True)
class CompareDownsync:
    site_id: str
    streams: list[StreamPosition]
    # Serialized `ReplicationStatus` the agent reported.
    status: bytes


@dataclass(frozen=True)
class StreamComparison:
    stream: str
    agent_seq: int
    cloud_head: int
    agent_rows: int
    cloud_rows: int
    agent_digest: str
    cloud_digest: str

    @property
    def caught_up(self) -> bool:
        """Whether the agent had applied everything the cloud had when it was compared."""
        return self.agent_seq == self.cloud_head

    @property
    def matches(self) -> bool:
        return (self.agent_rows, self.agent_digest) == (self.cloud_rows, self.cloud_digest)


@dataclass(frozen=True)
class DownsyncComparison:
    streams: list[StreamComparison]


@dataclass(frozen=True)
class CompareUpsync:
    site_id: str
    # Serialized `ReplicationStatus` the agent reported.
    status: bytes


@dataclass(frozen=True)
class RegisterDayComparison:
    register_id: str
    business_day: str
    store_transactions: int
    cloud_transactions: int
    store_returns: int
    cloud_returns: int
    store_net_minor_units: int
    cloud_net_minor_units: int

    @property
    def matches(self) -> bool:
        return (
            self.store_transactions == self.cloud_transactions
            and self.store_returns == self.cloud_returns
            and self.store_net_minor_units == self.cloud_net_minor_units
        )


@dataclass(frozen=True)
class UpsyncComparison:
    register_days: list[RegisterDayComparison]
    # Records the cloud holds from the site.
    records_ingested: int
    outbox_pending: int


@dataclass(frozen=True)
class RecordReplicationFact:
    # Serialized `ProcessFact` proto with its deterministic fact id.
    fact: bytes


@dataclass(frozen=True)
class ListReadySites:
    # Exclusive cursor: the last site id of the previous page ("" for the first page).
    after_site_id: str
    limit: int


@dataclass(frozen=True)
class ReadySites:
    site_ids: list[str]
