"""Wires RolloutStoreFleet into the worker (composition helper for `cloud.composition.worker`).

Composition room: builds the rollout activities over the cloud store, the compatibility
policy and the site adapters; `cloud.composition.worker` puts them on the rollout task
queue's worker.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    rollout_workflow_service_workflows,
)
from cloud.activities.rollout import RolloutActivities, SiteBundleInstaller, SiteHealthProbe
from cloud.adapters.rollout_sites import StoreSiteHealth
from cloud.adapters.site_installer import QueuedSiteInstaller
from cloud.adapters.store import CloudStore
from cloud.composition.compat_wiring import matrix_compatibility
from cloud.config import CloudConfig
from cloud.workflows.rollout import RolloutStoreFleetWorkflow
from cloud.workflows.rollout_batch import RolloutSiteBatchWorkflow


def rollout_workflows() -> list[type]:
    """The rollout workflow classes, checked against their proto declarations."""
    return rollout_workflow_service_workflows(
        rollout_store_fleet=RolloutStoreFleetWorkflow, rollout_site_batch=RolloutSiteBatchWorkflow
    )


def site_installer(store: CloudStore, config: CloudConfig | None = None) -> QueuedSiteInstaller:
    """Installs through the sites' command queue, timed by `config` (defaults without one)."""
    if config is None:
        return QueuedSiteInstaller(store.commands)
    return QueuedSiteInstaller(
        store.commands,
        poll_seconds=config.rollout_install_poll_seconds,
        retry_every=timedelta(seconds=config.rollout_install_retry_seconds),
        offline_after=timedelta(seconds=config.rollout_site_offline_seconds),
    )


def store_site_health(store: CloudStore) -> StoreSiteHealth:
    """The production health probe: sites, sync reports, health reports and releases."""
    return StoreSiteHealth(
        store.sites, store.sync_reports, site_health=store.site_health, releases=store.site_releases
    )


def rollout_activities(
    store: CloudStore,
    installer: SiteBundleInstaller | None = None,
    health: SiteHealthProbe | None = None,
    *,
    config: CloudConfig | None = None,
) -> list[Any]:
    """The activity methods of rollouts, over the store and the given (or default) adapters."""
    activities = RolloutActivities(
        store,
        matrix_compatibility(store.compat_matrices),
        installer or site_installer(store, config),
        health or store_site_health(store),
        store.site_labels,
    )
    return [
        activities.prepare_rollout,
        activities.recheck_rollout_bundle,
        activities.install_site_bundle,
        activities.roll_back_site_bundle,
        activities.observe_sites,
        activities.record_rollout_fact,
    ]
