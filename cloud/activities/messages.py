"""One input and one output dataclass per activity (fields added later get defaults).

Pure data, imported by workflows; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PrepareStoreSite:
    site_id: str
    sales_channel_id: str
    name: str
    timezone: str
    agent_version: str
    workflow_id: str


@dataclass(frozen=True)
class PreparedStoreSite:
    site_id: str
    # Down streams the channel publishes; bindings derive from them.
    channel_streams: list[str]
    enrollment_timeout_seconds: float
    command_timeout_seconds: float
    # Set when the site is already provisioned with the same inputs.
    already_ready: bool = False
    certificate_serial: str = ""
    config_generation: int = 0
    ready_at: datetime | None = None


@dataclass(frozen=True)
class IssueBootstrapToken:
    site_id: str
    token_id: str
    workflow_id: str


@dataclass(frozen=True)
class IssuedBootstrapToken:
    token_id: str
    expires_at: datetime


@dataclass(frozen=True)
class ConditionRecord:
    type: str
    status: str
    reason: str
    message: str
    last_transition_time: datetime
    observed_generation: int = 0


@dataclass(frozen=True)
class UpdateSiteConditions:
    site_id: str
    status: str
    conditions: list[ConditionRecord] = field(default_factory=list)


@dataclass(frozen=True)
class ExpireProvisioning:
    site_id: str
    conditions: list[ConditionRecord] = field(default_factory=list)


@dataclass(frozen=True)
class SendSiteCommand:
    command_id: str
    site_id: str
    # Serialized `Command` proto (without command_id/issued_at: the queue fills them).
    kind: str
    payload: bytes


@dataclass(frozen=True)
class RecordStoreSiteReady:
    site_id: str
    certificate_serial: str
    config_generation: int
    # Serialized `ProcessFact` proto with its deterministic fact id.
    fact: bytes
    conditions: list[ConditionRecord] = field(default_factory=list)
    # Serialized `TradingCalendar` the site was provisioned with; empty: none.
    trading_calendar: bytes = b""


@dataclass(frozen=True)
class RecordedFact:
    fact_id: str
    newly_recorded: bool
