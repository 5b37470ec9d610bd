"""Wiring of the storefront-domain workflows into the cloud worker (task queue commerce-domains).

Composition room: builds the DNS resolver from `[domains]` settings and the activities over
the store; `cloud.worker` calls `domain_workflows` and `build_domain_worker`.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from ameide_core_proto._temporal_runtime import check_workflow_implementation
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    DOMAIN_WORKFLOW_SERVICE_TASK_QUEUE,
    VERIFY_DOMAIN_CLAIM,
)
from cloud.activities.domains import DomainClaimActivities
from cloud.adapters.dns import dns_resolver
from cloud.adapters.store import CloudStore
from cloud.config import CloudConfig
from cloud.domain_mapping_worker import mapping_activities, mapping_workflows
from cloud.workflows.domains import VerifyDomainClaimWorkflow

__all__ = ["build_domain_worker", "domain_workflows"]


def domain_workflows() -> list[type]:
    """The domain workflow classes, checked against their proto declarations."""
    check_workflow_implementation(VERIFY_DOMAIN_CLAIM, VerifyDomainClaimWorkflow)
    return [VerifyDomainClaimWorkflow, *mapping_workflows()]


def build_domain_worker(
    client: Client, config: CloudConfig, store: CloudStore, **common: Any
) -> Worker:
    """The worker of the commerce-domains task queue."""
    settings = config.domains
    dns = dns_resolver(settings)
    activities = DomainClaimActivities(store.domain_claims, store.facts, dns, settings)
    return Worker(
        client,
        task_queue=DOMAIN_WORKFLOW_SERVICE_TASK_QUEUE,
        workflows=domain_workflows(),
        activities=[
            activities.check_domain_claim,
            activities.record_domain_verified,
            activities.fail_domain_claim,
            *mapping_activities(config, store),
        ],
        **common,
    )
