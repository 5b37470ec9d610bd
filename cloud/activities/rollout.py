"""Activities of RolloutStoreFleet: refuse before touching any site, install and roll back one
site at a time through the installer port (a site whose move from its current bundle the
matrix refuses is skipped, untouched), read the sites' health, record facts.

Activity room: talks to the cloud store (published bundles, sites, facts), the compatibility
policy and the two site ports it is given; raises `ApplicationError` with a `type` for every
business failure (non-retryable), and lets I/O failures retry.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ameide_core_proto.process.commerce.v1 import facts_pb2
from cloud.activities.facts import append_fact
from cloud.activities.messages import RecordedFact
from cloud.activities.rollout_messages import (
    INSTALLED,
    ROLLED_BACK,
    SKIPPED,
    InstallSiteBundle,
    ObservedSites,
    ObserveSites,
    PreparedRollout,
    PrepareRollout,
    RecheckedBundle,
    RecheckRolloutBundle,
    RecordRolloutFact,
    RollBackSiteBundle,
    SiteOutcome,
)
from cloud.compatibility import BundleVersions, Verdict
from cloud.fleet_records import PublishedBundle
from cloud.ports import StorePort
from shared.bundles import parse_manifest
from shared.errors import InvalidInput
from shared.naming import validate_channel_id, validate_site_id
from shared.timestamps import to_timestamp

logger = logging.getLogger(__name__)

UNKNOWN_BUNDLE = "UnknownBundle"
BUNDLE_REFUSED = "BundleRefusedByMatrix"
EMPTY_RING = "EmptyRing"
INVALID_RING = "InvalidRing"
REFUSALS = [UNKNOWN_BUNDLE, BUNDLE_REFUSED, EMPTY_RING, INVALID_RING]


class BundlePolicy(Protocol):
    """The compatibility matrix's verdict on a bundle for this cloud, and on a site's move."""

    def bundle_verdict(self, bundle: BundleVersions) -> Verdict: ...

    def transition_verdict(
        self, current: BundleVersions | None, target: BundleVersions
    ) -> Verdict: ...


class SiteLabels(Protocol):
    """Labels on sites (`cloud.adapters.store.fleet_versions.SiteLabelRepository`)."""

    def sites_with(self, label: str) -> list[str]: ...


class SiteBundleInstaller(Protocol):
    """Has one site install (or go back from) a published bundle and says what happened.

    Returns an outcome with state installed, failed or offline (rolled_back for `roll_back`);
    raises for an outage worth retrying.
    """

    async def install(self, site_id: str, bundle: PublishedBundle) -> SiteOutcome: ...

    async def roll_back(
        self, site_id: str, bundle: PublishedBundle, restore_bundle_id: str
    ) -> SiteOutcome: ...


class SiteHealthProbe(Protocol):
    """What the sites' own signals say after an install (reconnect, replication, errors)."""

    async def observe(self, site_ids: list[str], bundle_id: str) -> ObservedSites: ...


def _refuse(kind: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


def _selection(req: PrepareRollout) -> str:
    if req.sales_channel_id:
        return f"channel {req.sales_channel_id}"
    if req.label:
        return f"label {req.label}"
    return "empty list"


def _versions(bundle: PublishedBundle) -> BundleVersions:
    manifest = parse_manifest(bundle.manifest.encode())
    return BundleVersions(
        manifest.bundle_id,
        dict(manifest.components),
        dict(manifest.proto_majors),
        frozenset(s.component for s in manifest.steps if not s.undoable),
    )


class RolloutActivities:
    """Side effects of fleet rollouts."""

    def __init__(
        self,
        store: StorePort,
        policy: BundlePolicy,
        installer: SiteBundleInstaller,
        health: SiteHealthProbe,
        labels: SiteLabels,
    ) -> None:
        self._store = store
        self._labels = labels
        self._policy = policy
        self._installer = installer
        self._health = health

    @activity.defn(name="PrepareRollout")
    async def prepare_rollout(self, req: PrepareRollout) -> PreparedRollout:
        """The bundle must be published and allowed by the matrix, the ring must select sites."""
        return await asyncio.to_thread(self._prepare, req)

    def _prepare(self, req: PrepareRollout) -> PreparedRollout:
        bundle = self._bundle(req.bundle_id)
        verdict = self._policy.bundle_verdict(_versions(bundle))
        if not verdict.allowed:
            raise _refuse(
                BUNDLE_REFUSED,
                f"bundle {bundle.bundle_id} is refused by compatibility matrix version "
                f"{verdict.matrix_version}: {'; '.join(verdict.reasons())}; no site was touched",
            )
        try:
            site_ids = self._select(req)
        except InvalidInput as exc:
            raise _refuse(INVALID_RING, f"ring {req.ring}: {exc}") from exc
        if not site_ids:
            raise _refuse(
                EMPTY_RING,
                f"ring {req.ring} selects no ready site ({_selection(req)}); check the "
                "selection with `commerce-cloud sites list`",
            )
        return PreparedRollout(
            bundle.bundle_id, bundle.sha256, bundle.size, verdict.matrix_version, site_ids
        )

    def _bundle(self, bundle_id: str) -> PublishedBundle:
        bundle = self._store.bundles.get(bundle_id)
        if bundle is None:
            raise _refuse(
                UNKNOWN_BUNDLE,
                f"bundle {bundle_id} is not published; publish it with "
                "`commerce-cloud bundles publish` first",
            )
        return bundle

    def _select(self, req: PrepareRollout) -> list[str]:
        if sum(map(bool, (req.sales_channel_id, req.site_ids, req.label))) != 1:
            raise InvalidInput(
                "select sites by a sales channel, a label or a list of site ids (one of them)"
            )
        if req.sales_channel_id:
            validate_channel_id(req.sales_channel_id)
            return [
                s.site_id
                for s in self._store.sites.list("ready")
                if s.sales_channel_id == req.sales_channel_id
            ]
        if req.label:
            labelled = set(self._labels.sites_with(req.label))
            return [s.site_id for s in self._store.sites.list("ready") if s.site_id in labelled]
        chosen: list[str] = []
        for site_id in req.site_ids:
            validate_site_id(site_id)
            site = self._store.sites.get(site_id)
            if site is None or site.status != "ready":
                state = "does not exist" if site is None else f"is {site.status}"
                raise InvalidInput(f"site {site_id} {state}; a ring holds ready sites only")
            if site_id in chosen:
                raise InvalidInput(f"site {site_id} is listed twice")
            chosen.append(site_id)
        return chosen

    @activity.defn(name="RecheckRolloutBundle")
    async def recheck_rollout_bundle(self, req: RecheckRolloutBundle) -> RecheckedBundle:
        """Does the matrix in force still allow the bundle (before late sites get it)?"""
        return await asyncio.to_thread(self._recheck, req.bundle_id)

    def _recheck(self, bundle_id: str) -> RecheckedBundle:
        verdict = self._policy.bundle_verdict(_versions(self._bundle(bundle_id)))
        if verdict.allowed:
            return RecheckedBundle(True)
        return RecheckedBundle(
            False,
            f"compatibility matrix version {verdict.matrix_version} no longer allows "
            f"{bundle_id}: {'; '.join(verdict.reasons())}",
        )

    @activity.defn(name="InstallSiteBundle")
    async def install_site_bundle(self, req: InstallSiteBundle) -> SiteOutcome:
        """Install on one site; an installed site gets a SiteBundleInstalled fact. A site whose
        move from its current bundle the matrix refuses is skipped before anything is sent."""
        bundle = await asyncio.to_thread(self._bundle, req.bundle_id)
        refused = await asyncio.to_thread(self._refused_move, req.site_id, bundle)
        if refused is not None:
            return refused
        outcome = await self._installer.install(req.site_id, bundle)
        if outcome.state == INSTALLED:
            await self._fact(
                req.site_id,
                f"rollout-store-fleet/{req.ring}/{req.bundle_id}/{req.site_id}/SiteBundleInstalled",
                "SiteBundleInstalled",
                site_bundle_installed=facts_pb2.SiteBundleInstalled(
                    site_id=req.site_id, bundle_id=req.bundle_id, ring=req.ring
                ),
            )
        return outcome

    def _refused_move(self, site_id: str, bundle: PublishedBundle) -> SiteOutcome | None:
        """SKIPPED, naming the rule, when the matrix refuses this site's current -> target."""
        release = self._store.site_releases.get(site_id)
        current_id = release.current_bundle if release is not None else ""
        if not current_id or current_id == bundle.bundle_id:
            return None
        current = self._store.bundles.get(current_id)
        if current is None:  # a build not published here: nothing recorded to compare with
            return None
        verdict = self._policy.transition_verdict(_versions(current), _versions(bundle))
        if verdict.allowed:
            return None
        return SiteOutcome(
            site_id,
            SKIPPED,
            f"compatibility matrix version {verdict.matrix_version} refuses {current_id} -> "
            f"{bundle.bundle_id}: {'; '.join(verdict.reasons())}",
            current_id,
        )

    @activity.defn(name="RollBackSiteBundle")
    async def roll_back_site_bundle(self, req: RollBackSiteBundle) -> SiteOutcome:
        """Take one site back to the bundle it ran before; a SiteBundleRolledBack fact."""
        bundle = await asyncio.to_thread(self._bundle, req.bundle_id)
        outcome = await self._installer.roll_back(req.site_id, bundle, req.restore_bundle_id)
        if outcome.state == ROLLED_BACK:
            await self._fact(
                req.site_id,
                f"rollout-store-fleet/{req.ring}/{req.bundle_id}/{req.site_id}/SiteBundleRolledBack",
                "SiteBundleRolledBack",
                site_bundle_rolled_back=facts_pb2.SiteBundleRolledBack(
                    site_id=req.site_id,
                    bundle_id=req.bundle_id,
                    restored_bundle_id=req.restore_bundle_id,
                    ring=req.ring,
                ),
            )
        return outcome

    @activity.defn(name="ObserveSites")
    async def observe_sites(self, req: ObserveSites) -> ObservedSites:
        return await self._health.observe(req.site_ids, req.bundle_id)

    @activity.defn(name="RecordRolloutFact")
    async def record_rollout_fact(self, req: RecordRolloutFact) -> RecordedFact:
        return await asyncio.to_thread(append_fact, self._store.facts, req.fact)

    async def _fact(self, site_id: str, fact_id: str, kind: str, **payload: object) -> None:
        info = activity.info()
        fact = facts_pb2.ProcessFact(
            fact_id=fact_id,
            type=kind,
            subject=f"site/{site_id}",
            workflow_id=info.workflow_id,
            run_id=info.workflow_run_id,
            **payload,  # type: ignore[arg-type]
        )
        fact.occurred_at.CopyFrom(to_timestamp(datetime.now(UTC)))
        await asyncio.to_thread(
            append_fact, self._store.facts, fact.SerializeToString(deterministic=True)
        )
