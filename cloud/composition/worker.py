"""Composition root of the cloud worker: config -> adapters -> activities -> Temporal Worker.

The one place that wires real adapters into activities. Refuses to start when a declared
workflow has no implementation or its types differ (generated registration checks).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    REALTIME_WORKFLOW_SERVICE_TASK_QUEUE,
    REPLICATION_WORKFLOW_SERVICE_TASK_QUEUE,
    ROLLOUT_WORKFLOW_SERVICE_TASK_QUEUE,
    STORE_SITE_WORKFLOW_SERVICE_TASK_QUEUE,
    realtime_workflow_service_workflows,
    replication_workflow_service_workflows,
    store_site_workflow_service_workflows,
)
from cloud.activities.commands import CommandWaker, SiteCommandActivities
from cloud.activities.realtime import RealtimeActivities
from cloud.activities.replication import ReplicationActivities
from cloud.activities.site_config import SiteConfigActivities
from cloud.activities.store_site import StoreSiteActivities
from cloud.adapters.store import CloudStore
from cloud.adapters.tokens import TokenMinter
from cloud.composition.compat_wiring import matrix_compatibility
from cloud.composition.domain_worker import build_domain_worker, domain_workflows
from cloud.composition.rollout_wiring import rollout_activities, rollout_workflows
from cloud.config import CloudConfig
from cloud.services.site_configs import SiteConfigs
from cloud.temporal.connect import worker_build_id
from cloud.workflows.realtime import CompensateOfflineOperationWorkflow
from cloud.workflows.replication import (
    RebuildStoreSiteProjectionWorkflow,
    ReconcileFleetWorkflow,
    RunDownsyncWorkflow,
    RunUpsyncWorkflow,
)
from cloud.workflows.store_site import ProvisionStoreSiteWorkflow

logger = logging.getLogger(__name__)

def registered_workflows() -> list[type]:
    """The workflow classes this worker serves, checked against their proto declarations."""
    return [
        *_store_site_workflows(),
        *_replication_workflows(),
        *domain_workflows(),
        *_realtime_workflows(),
        *rollout_workflows(),
    ]


def _realtime_workflows() -> list[type]:
    return realtime_workflow_service_workflows(
        compensate_offline_operation=CompensateOfflineOperationWorkflow
    )


def _store_site_workflows() -> list[type]:
    return store_site_workflow_service_workflows(provision_store_site=ProvisionStoreSiteWorkflow)


def _replication_workflows() -> list[type]:
    return replication_workflow_service_workflows(
        run_downsync=RunDownsyncWorkflow,
        run_upsync=RunUpsyncWorkflow,
        rebuild_store_site_projection=RebuildStoreSiteProjectionWorkflow,
        reconcile_fleet=ReconcileFleetWorkflow,
    )


def build_workers(
    client: Client,
    config: CloudConfig,
    store: CloudStore,
    waker: CommandWaker | None = None,
) -> list[Worker]:
    """One worker per task queue: store-site provisioning, then replication control."""
    site_activities = StoreSiteActivities(
        store,
        TokenMinter.open_or_create(config.pki_dir),
        matrix_compatibility(store.compat_matrices, config.min_agent_version),
        token_ttl=config.bootstrap_token_ttl,
        enrollment_timeout=config.enrollment_timeout,
        command_timeout=config.command_timeout,
    )
    command_activities = SiteCommandActivities(store.commands, waker)
    site_configs = SiteConfigActivities(
        SiteConfigs(store.sites, store.channels, store.realtime_policies, store.site_calendars)
    )
    replication = ReplicationActivities(store, command_timeout=config.command_timeout)
    realtime = RealtimeActivities(store.facts, store.realtime_cases)
    common = {
        "identity": f"{worker_build_id()}@commerce-cloud",
        "build_id": worker_build_id(),
        "graceful_shutdown_timeout": timedelta(seconds=10),
    }
    return [
        Worker(
            client,
            task_queue=STORE_SITE_WORKFLOW_SERVICE_TASK_QUEUE,
            workflows=_store_site_workflows(),
            activities=[
                site_activities.prepare_store_site,
                site_activities.issue_bootstrap_token,
                site_activities.update_site_conditions,
                site_activities.expire_provisioning,
                site_activities.record_store_site_ready,
                site_configs.build_site_config,
                command_activities.send_site_command,
            ],
            **common,  # type: ignore[arg-type]
        ),
        Worker(
            client,
            task_queue=REPLICATION_WORKFLOW_SERVICE_TASK_QUEUE,
            workflows=_replication_workflows(),
            activities=[
                replication.prepare_replication,
                replication.compare_downsync,
                replication.compare_upsync,
                replication.list_ready_sites,
                replication.record_replication_fact,
                command_activities.send_site_command,
            ],
            **common,  # type: ignore[arg-type]
        ),
        build_domain_worker(client, config, store, **common),
        Worker(
            client,
            task_queue=REALTIME_WORKFLOW_SERVICE_TASK_QUEUE,
            workflows=_realtime_workflows(),
            activities=[
                realtime.record_realtime_fact,
                realtime.close_compensation_case,
                command_activities.send_site_command,
            ],
            **common,  # type: ignore[arg-type]
        ),
        Worker(
            client,
            task_queue=ROLLOUT_WORKFLOW_SERVICE_TASK_QUEUE,
            workflows=rollout_workflows(),
            activities=rollout_activities(store, config=config),
            **common,  # type: ignore[arg-type]
        ),
    ]
