"""Installer room: release bundles side by side under the data dir, installed through a
journal so a crash at any point leaves the old or the new release whole.

Public names only; the parts live in private modules (layout, journal, steps, recovery,
launch, calendar, leases, service).
"""

from __future__ import annotations

from edge_agent.installer._calendar import CalendarError, TradingCalendar, calendar_from_proto
from edge_agent.installer._fallback import START_STEP, startable_release
from edge_agent.installer._journal import Journal, JournalFile, Phase
from edge_agent.installer._launch import (
    RunningRelease,
    exec_release,
    exec_restart,
    probe_release,
    running_release,
)
from edge_agent.installer._layout import BASE_RELEASE, ReleaseLayout
from edge_agent.installer._leases import BasketLeases, LeaseNotFound, LeaseRefused
from edge_agent.installer._plan import InstallPlan, PlanError, plan_from_manifest
from edge_agent.installer._recovery import INSTALLED, ROLLED_BACK, Recovery, StartDecision
from edge_agent.installer._service import (
    HEALTH_GATE,
    GateChecks,
    InstallerService,
    installed_bundles,
)
from edge_agent.installer._source import BundleSource, DroppedBundles
from edge_agent.installer._stage import BundleRefused, stage

__all__ = [
    "BASE_RELEASE",
    "HEALTH_GATE",
    "INSTALLED",
    "ROLLED_BACK",
    "START_STEP",
    "BasketLeases",
    "BundleRefused",
    "BundleSource",
    "CalendarError",
    "DroppedBundles",
    "GateChecks",
    "InstallPlan",
    "InstallerService",
    "Journal",
    "JournalFile",
    "LeaseNotFound",
    "LeaseRefused",
    "Phase",
    "PlanError",
    "Recovery",
    "ReleaseLayout",
    "RunningRelease",
    "StartDecision",
    "TradingCalendar",
    "calendar_from_proto",
    "exec_release",
    "exec_restart",
    "installed_bundles",
    "plan_from_manifest",
    "probe_release",
    "running_release",
    "stage",
    "startable_release",
]
