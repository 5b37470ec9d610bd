"""Application services behind the ops CLI, the demo and the benchmark.

Service room: each class receives its ports (store repositories, token source, site CA,
provisioning workflow) from a composition root and builds no adapter itself.
"""

from __future__ import annotations

from cloud.services.channels import ChannelService
from cloud.services.data import DataReport, DataService
from cloud.services.enrollment import Enrollment, EnrollmentIssuer
from cloud.services.facts import FactService
from cloud.services.ports import (
    CaFingerprint,
    FleetSchedules,
    FleetScheduleView,
    ProvisioningWorkflows,
    ProvisionRun,
    ReplicationWorkflows,
    TokenSource,
)
from cloud.services.provisioning import ProvisioningService
from cloud.services.replication import FleetService, ReplicationService
from cloud.services.sites import SiteService, revocation_fact

__all__ = [
    "CaFingerprint",
    "ChannelService",
    "DataReport",
    "DataService",
    "Enrollment",
    "EnrollmentIssuer",
    "FactService",
    "FleetScheduleView",
    "FleetSchedules",
    "FleetService",
    "ProvisionRun",
    "ProvisioningService",
    "ProvisioningWorkflows",
    "ReplicationService",
    "ReplicationWorkflows",
    "SiteService",
    "TokenSource",
    "revocation_fact",
]
