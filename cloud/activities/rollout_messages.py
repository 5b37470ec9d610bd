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
class ObservedSites:
    # site id -> why it is unhealthy; sites not named are healthy.
    unhealthy: dict[str, str] = field(default_factory=dict)
    # Sites that did not report during the window.
    offline: list[str] = field(default_factory=list)


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
