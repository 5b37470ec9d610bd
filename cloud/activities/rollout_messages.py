"""One input and one output dataclass per rollout activity (fields added later get defaults).

Activity room, pure: shared by RolloutStoreFleet and its activities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Outcomes of one site's install or rollback (`SiteOutcome.state`).
INSTALLED = "installed"
FAILED = "failed"
OFFLINE = "offline"
ROLLED_BACK = "rolled_back"
# The matrix refuses the site's move from its current bundle: not installed (reason names the rule).
SKIPPED = "skipped"


@dataclass(frozen=True)
class PrepareRollout:
    bundle_id: str
    ring: str
    # Sites of this sales channel (every ready one), or exactly `site_ids`, or every ready
    # site carrying `label`.
    sales_channel_id: str = ""
    site_ids: list[str] = field(default_factory=list)
    label: str = ""


@dataclass(frozen=True)
class PreparedRollout:
    bundle_id: str
    sha256: str
    size: int
    matrix_version: int
    site_ids: list[str]


@dataclass(frozen=True)
class InstallSiteBundle:
    site_id: str
    bundle_id: str
    sha256: str
    size: int
    ring: str
    step: int


@dataclass(frozen=True)
class RollBackSiteBundle:
    site_id: str
    bundle_id: str
    # The bundle the site ran before the rollout ("" when unknown: the agent's last-known-good).
    restore_bundle_id: str
    ring: str


@dataclass(frozen=True)
class SiteOutcome:
    site_id: str
    state: str
    reason: str = ""
    previous_bundle_id: str = ""


@dataclass(frozen=True)
class ObserveSites:
    site_ids: list[str]
    bundle_id: str


@dataclass(frozen=True)
class SiteSignals:
    """What one site's agent last told the cloud about itself (times as ISO 8601 UTC, ''
    when never; None: not reported)."""

    status: str
    last_seen_at: str = ""
    # The last install the agent reported: its bundle and outcome ('installed',
    # 'rolled_back', 'already_current', '' when none).
    install_bundle: str = ""
    install_outcome: str = ""
    outbox_pending: int | None = None
    replication_lag: int | None = None
    # Streams whose rows did not add up to their checksum at the agent's last verification.
    checksum_mismatches: list[str] = field(default_factory=list)
    checksums_verified_at: str = ""
    # Errors by kind ('pos', 'pull', 'push', 'control', 'install') since the agent started.
    error_counts: dict[str, int] = field(default_factory=dict)
    last_error: str = ""
    health_reported_at: str = ""


@dataclass(frozen=True)
class ObservedSites:
    # site id -> why it is unhealthy; sites not named are healthy.
    unhealthy: dict[str, str] = field(default_factory=dict)
    # Sites that did not report during the window.
    offline: list[str] = field(default_factory=list)
    # site id -> its signals as observed (every observed site that still exists).
    signals: dict[str, SiteSignals] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordRolloutFact:
    # A serialized `ProcessFact`.
    fact: bytes


@dataclass(frozen=True)
class RecheckRolloutBundle:
    bundle_id: str


@dataclass(frozen=True)
class RecheckedBundle:
    allowed: bool
    reason: str = ""
