"""Wiring of the storefront-domain workflows into the cloud worker (task queue commerce-domains).

Composition room: builds the DNS resolver from `[domains]` settings and the activities over
the store; `cloud.composition.worker` calls `domain_workflows` and `build_domain_worker`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from ameide_core_proto._temporal_runtime import check_workflow_implementation
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    DOMAIN_WORKFLOW_SERVICE_TASK_QUEUE,
    VERIFY_DOMAIN_CLAIM,
)
from cloud.activities.blocking import BlockingPools
from cloud.activities.domains import DomainClaimActivities
from cloud.adapters.dns import dns_resolver
from cloud.adapters.store import CloudStore
from cloud.adapters.temporal_domain_mapping import TemporalDomainMappingRuns
from cloud.composition.domain_mapping_worker import mapping_activities, mapping_workflows
from cloud.config import CloudConfig
from cloud.workflows.domains import VerifyDomainClaimWorkflow

__all__ = ["build_domain_worker", "domain_workflows"]

# Every new workflow's first task comes from the normal (non-sticky) queue. With the SDK's
# defaults (5 workflow polls, a fifth of them non-sticky) one poll at a time fetched them, and a
# burst of claims and provisionings waited tens of seconds for their first workflow task. Up to
# 10 polls on each queue, and as many for activities, keep a burst moving.
_WORKFLOW_POLLS = 20
_NONSTICKY_RATIO = 0.5
_ACTIVITY_POLLS = 10
# A workflow task holds its slot while its local activities run (claim checks, pre-flight,
# wiring, the outside check: mostly waiting on DNS, nginx or the store). With the SDK's 100
# slots a burst of claims and mappings filled them and the pollers stopped; the slots cost a
# little memory each, the threads that do blocking work are bounded by the pools.
_WORKFLOW_TASK_SLOTS = 400
_LOCAL_ACTIVITY_SLOTS = 400


def _given(client: Client) -> Callable[[], Awaitable[Client]]:
    async def connected() -> Client:
        return client

    return connected


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
    pools = BlockingPools.sized(
        store_threads=config.domain_mapping.store_threads,
        acme_threads=config.domain_mapping.acme_threads,
    )
    activities = DomainClaimActivities(store.domain_claims, store.facts, dns, settings, pools=pools)
    return Worker(
        client,
        task_queue=DOMAIN_WORKFLOW_SERVICE_TASK_QUEUE,
        workflows=domain_workflows(),
        activities=[
            activities.check_domain_claim,
            activities.record_domain_verified,
            activities.fail_domain_claim,
            *mapping_activities(config, store, pools, TemporalDomainMappingRuns(_given(client))),
        ],
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(_WORKFLOW_POLLS),
        nonsticky_to_sticky_poll_ratio=_NONSTICKY_RATIO,
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(_ACTIVITY_POLLS),
        max_concurrent_workflow_tasks=_WORKFLOW_TASK_SLOTS,
        max_concurrent_local_activities=_LOCAL_ACTIVITY_SLOTS,
        **common,
    )
