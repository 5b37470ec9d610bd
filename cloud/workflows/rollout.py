"""RolloutStoreFleet: a bundle across a ring of sites in steps, canaries first.

Workflow room: deterministic. Before any site is touched, PrepareRollout refuses a bundle the
compatibility matrix does not allow and a ring that selects no site. Then the canaries
(step 0) and the following steps each install on their sites (at most `_CONCURRENCY` at a
time), observe for `observe_for` on the sites' own health signals, and either advance or halt:
a step halts when at least `min_failures` of its sites failed and failures exceed
`max_failure_ratio` of the sites it reached (offline sites count apart). A halt rolls back
every site this rollout installed, newest first, and marks the rest not reached.

Operators pause and resume (signals), approve the next step and abort (updates, validated
before they are accepted). The run continues as new after a step once its history grows,
carrying every site's state in `progress`, so the history stays bounded for large rings.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from ameide_core_proto.process.commerce.v1 import facts_pb2, rollout_pb2
    from cloud.activities.rollout import REFUSALS, RolloutActivities
    from cloud.activities.rollout_messages import (
        FAILED,
        INSTALLED,
        OFFLINE,
        ROLLED_BACK,
        InstallSiteBundle,
        ObserveSites,
        PrepareRollout,
        RecheckRolloutBundle,
        RecordRolloutFact,
        RollBackSiteBundle,
        SiteOutcome,
    )
    from shared.timestamps import to_timestamp

Phase = rollout_pb2.RolloutPhase
State = rollout_pb2.SiteRolloutState
_STORE_TIMEOUT = timedelta(seconds=30)
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=REFUSALS,
)
# One install may wait for a quiet store and a health gate; the agent's deadline bounds it.
_INSTALL_TIMEOUT = timedelta(hours=2)
_SITE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=5,
    non_retryable_error_types=REFUSALS,
)
_CONCURRENCY = 50
# Continue as new after a step once the run's history passes this many events.
HISTORY_EVENTS_PER_RUN = 4_000
_ENDED = (
    Phase.ROLLOUT_PHASE_COMPLETED,
    Phase.ROLLOUT_PHASE_ROLLED_BACK,
    Phase.ROLLOUT_PHASE_ABORTED,
)


# A step holds at most this many sites, so one step's events (three per install) plus the
# history a run may reach before continuing as new stay far below Temporal's limits.
MAX_STEP_SITES = 500


def plan_steps(site_ids: list[str], canary_size: int, step_size: int) -> list[list[str]]:
    """Step 0 holds the canaries (at least one site), then steps of `step_size` sites (0: the
    rest at once); no step holds more than `MAX_STEP_SITES`."""
    canaries = max(1, min(canary_size or 1, len(site_ids), MAX_STEP_SITES))
    rest = site_ids[canaries:]
    size = min(step_size if step_size > 0 else max(1, len(rest)), MAX_STEP_SITES)
    return [site_ids[:canaries], *(rest[i : i + size] for i in range(0, len(rest), size))]


def should_halt(failed: int, reached: int, max_ratio: float, min_failures: int) -> bool:
    """Failures of one step pass the threshold: a minimum count, then a ratio of reached."""
    if failed < max(1, min_failures) or reached == 0:
        return False
    return failed / reached > max_ratio


@workflow.defn(name="RolloutStoreFleet")
class RolloutStoreFleetWorkflow:
    """Canary, observe, advance or roll back a bundle across a ring of sites."""

    def __init__(self) -> None:
        self._input = rollout_pb2.RolloutStoreFleetInput()
        self._progress = rollout_pb2.RolloutProgress()
        self._phase = Phase.ROLLOUT_PHASE_CANARY
        self._steps: list[list[str]] = []
        self._reason = ""
        self._abort_reason = ""
        self._index: dict[str, rollout_pb2.SiteRolloutStatus] = {}

    # Operators

    @workflow.query(name="GetRolloutStatus")
    def get_rollout_status(
        self, request: rollout_pb2.GetRolloutStatusRequest
    ) -> rollout_pb2.RolloutStatus:
        return self._status()

    @workflow.signal(name="PauseRollout")
    def pause_rollout(self, request: rollout_pb2.PauseRollout) -> None:
        if self._phase not in _ENDED:
            self._progress.paused = True
            self._reason = request.reason or "paused by an operator"

    @workflow.signal(name="ResumeRollout")
    def resume_rollout(self, request: rollout_pb2.ResumeRollout) -> None:
        self._progress.paused = False
        self._reason = ""

    @workflow.update(name="ApproveRolloutStep")
    def approve_rollout_step(
        self, request: rollout_pb2.ApproveRolloutStep
    ) -> rollout_pb2.RolloutUpdateAccepted:
        self._progress.approved_through_step = max(
            self._progress.approved_through_step, request.step
        )
        return rollout_pb2.RolloutUpdateAccepted(status=self._status())

    @approve_rollout_step.validator
    def _check_approval(self, request: rollout_pb2.ApproveRolloutStep) -> None:
        if self._phase != Phase.ROLLOUT_PHASE_AWAITING_APPROVAL:
            raise ValueError(
                f"no step waits for approval (phase {Phase.Name(self._phase)}); approve when "
                "`rollouts status` shows AWAITING_APPROVAL"
            )
        if request.step != self._progress.next_step:
            raise ValueError(
                f"step {self._progress.next_step} waits for approval, not step {request.step}"
            )

    @workflow.update(name="AbortRollout")
    def abort_rollout(self, request: rollout_pb2.AbortRollout) -> rollout_pb2.RolloutUpdateAccepted:
        self._abort_reason = request.reason
        return rollout_pb2.RolloutUpdateAccepted(status=self._status())

    @abort_rollout.validator
    def _check_abort(self, request: rollout_pb2.AbortRollout) -> None:
        if not request.reason.strip():
            raise ValueError("say why the rollout is aborted (--reason); it goes into its state")
        if self._phase in _ENDED:
            raise ValueError(f"the rollout already ended ({Phase.Name(self._phase)})")

    # The run

    @workflow.run
    async def run(
        self, input: rollout_pb2.RolloutStoreFleetInput
    ) -> rollout_pb2.RolloutStoreFleetResult:
        self._input = input
        self._progress.CopyFrom(input.progress)
        bundle = input.bundle
        if not self._progress.sites:
            prepared = await workflow.execute_activity_method(
                RolloutActivities.prepare_rollout,
                PrepareRollout(
                    bundle_id=bundle.bundle_id,
                    ring=input.ring,
                    sales_channel_id=input.selector.sales_channel_id,
                    site_ids=list(input.selector.site_ids),
                    label=input.selector.label,
                ),
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_STORE_RETRY,
            )
            self._bundle_sha256 = prepared.sha256
            self._bundle_size = prepared.size
            self._progress.started_at.CopyFrom(to_timestamp(workflow.now()))
            self._progress.sites.extend(
                rollout_pb2.SiteRolloutStatus(site_id=s, state=State.SITE_ROLLOUT_STATE_PENDING)
                for s in prepared.site_ids
            )
        else:
            self._bundle_sha256 = bundle.sha256
            self._bundle_size = 0
        site_ids = [s.site_id for s in self._progress.sites]
        self._steps = plan_steps(site_ids, input.canary_size, input.step_size)
        for step in range(self._progress.next_step, len(self._steps)):
            if not await self._ready_for(step):
                return await self._end(Phase.ROLLOUT_PHASE_ABORTED, self._abort_reason)
            self._phase = Phase.ROLLOUT_PHASE_CANARY if step == 0 else Phase.ROLLOUT_PHASE_ADVANCING
            await self._install(step, self._steps[step])
            self._phase = Phase.ROLLOUT_PHASE_OBSERVING
            await self._observation_window()  # an abort ends it early; the installs stay
            if self._abort_reason:
                return await self._end(Phase.ROLLOUT_PHASE_ABORTED, self._abort_reason)
            await self._observe(step)
            failed, reached, offline, installed = self._counts(step)
            if should_halt(failed, reached, input.max_failure_ratio, input.min_failures):
                return await self._halt(step, failed, reached)
            await self._record(
                f"step-{step}/RolloutStepAdvanced",
                "RolloutStepAdvanced",
                rollout_step_advanced=facts_pb2.RolloutStepAdvanced(
                    bundle_id=bundle.bundle_id, ring=input.ring, step=step,
                    sites_installed=installed, sites_failed=failed, sites_offline=offline,
                ),
            )  # fmt: skip
            self._progress.next_step = step + 1
            if step + 1 < len(self._steps) and workflow.info().get_current_history_length() > (
                input.max_history_events or HISTORY_EVENTS_PER_RUN
            ):
                await workflow.wait_condition(workflow.all_handlers_finished)
                carried = rollout_pb2.RolloutStoreFleetInput()
                carried.CopyFrom(input)
                carried.bundle.sha256 = self._bundle_sha256
                carried.progress.CopyFrom(self._progress)
                workflow.continue_as_new(carried)
        await self._catch_up_offline()
        if self._abort_reason:
            return await self._end(Phase.ROLLOUT_PHASE_ABORTED, self._abort_reason)
        return await self._end(Phase.ROLLOUT_PHASE_COMPLETED, "")

    async def _catch_up_offline(self) -> None:
        """Give sites that were offline in their step the bundle once they are back."""
        for _ in range(self._input.offline_rounds or 1):
            offline = [
                s.site_id
                for s in self._progress.sites
                if s.state == State.SITE_ROLLOUT_STATE_OFFLINE
            ]
            if not offline or self._abort_reason:
                return
            await self._observation_window()
            if self._abort_reason:
                return
            rechecked = await workflow.execute_activity_method(
                RolloutActivities.recheck_rollout_bundle,
                RecheckRolloutBundle(bundle_id=self._input.bundle.bundle_id),
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_STORE_RETRY,
            )
            if not rechecked.allowed:
                for site_id in offline:
                    self._site(site_id).reason = rechecked.reason
                return
            self._phase = Phase.ROLLOUT_PHASE_ADVANCING
            self._reason = f"{len(offline)} sites that were offline get the bundle"
            await self._install(None, offline)
            self._reason = ""

    async def _observation_window(self) -> None:
        """Wait one observation window; an abort ends it early."""
        if self._input.observe_for.ToTimedelta() > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: bool(self._abort_reason),
                    timeout=self._input.observe_for.ToTimedelta(),
                )

    async def _ready_for(self, step: int) -> bool:
        """Wait while paused or for approval; False when aborted meanwhile."""
        await workflow.wait_condition(lambda: not self._progress.paused or bool(self._abort_reason))
        if self._abort_reason:
            return False
        if self._input.require_approval and step > 0:
            if self._progress.approved_through_step < step:
                self._phase = Phase.ROLLOUT_PHASE_AWAITING_APPROVAL
                self._reason = f"step {step} waits for approval"
                await workflow.wait_condition(
                    lambda: self._progress.approved_through_step >= step or bool(self._abort_reason)
                )
                self._reason = ""
            if self._abort_reason:
                return False
            await workflow.wait_condition(
                lambda: not self._progress.paused or bool(self._abort_reason)
            )
        return not self._abort_reason

    def _site(self, site_id: str) -> rollout_pb2.SiteRolloutStatus:
        if len(self._index) != len(self._progress.sites):
            self._index = {s.site_id: s for s in self._progress.sites}
        return self._index[site_id]

    def _set(self, site_id: str, state: int, reason: str, step: int) -> None:
        site = self._site(site_id)
        site.state = state  # type: ignore[assignment]
        site.reason = reason
        site.step = step
        site.updated_at.CopyFrom(to_timestamp(workflow.now()))

    async def _install(self, step: int | None, site_ids: list[str]) -> None:
        """Install on `site_ids` as step `step` (None: each site keeps its step)."""
        gate = asyncio.Semaphore(_CONCURRENCY)
        bundle = self._input.bundle

        async def one(site_id: str) -> SiteOutcome:
            site_step = self._site(site_id).step if step is None else step
            async with gate:
                try:
                    return await workflow.execute_activity_method(
                        RolloutActivities.install_site_bundle,
                        InstallSiteBundle(
                            site_id=site_id, bundle_id=bundle.bundle_id,
                            sha256=self._bundle_sha256, size=self._bundle_size,
                            ring=self._input.ring, step=site_step,
                        ),
                        start_to_close_timeout=_INSTALL_TIMEOUT,
                        retry_policy=_SITE_RETRY,
                    )  # fmt: skip
                except ActivityError as err:
                    return SiteOutcome(
                        site_id, FAILED, f"install could not be directed: {err.cause}"
                    )

        outcomes = await asyncio.gather(*(one(s) for s in site_ids))
        for outcome in outcomes:
            state = {
                INSTALLED: State.SITE_ROLLOUT_STATE_INSTALLED,
                OFFLINE: State.SITE_ROLLOUT_STATE_OFFLINE,
            }.get(outcome.state, State.SITE_ROLLOUT_STATE_FAILED)
            site = self._site(outcome.site_id)
            self._set(outcome.site_id, state, outcome.reason, site.step if step is None else step)
            site.previous_bundle_id = outcome.previous_bundle_id
            site.bundle_installed = outcome.state == INSTALLED

    async def _observe(self, step: int) -> None:
        installed = [
            s.site_id
            for s in self._progress.sites
            if s.step == step and s.state == State.SITE_ROLLOUT_STATE_INSTALLED
        ]
        if not installed:
            return
        observed = await workflow.execute_activity_method(
            RolloutActivities.observe_sites,
            ObserveSites(site_ids=installed, bundle_id=self._input.bundle.bundle_id),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
        for site_id, why in sorted(observed.unhealthy.items()):
            self._set(
                site_id, State.SITE_ROLLOUT_STATE_FAILED, f"unhealthy after install: {why}", step
            )
        for site_id in observed.offline:
            if site_id not in observed.unhealthy:
                self._set(site_id, State.SITE_ROLLOUT_STATE_OFFLINE, "offline while observed", step)

    def _counts(self, step: int) -> tuple[int, int, int, int]:
        in_step = [
            s for s in self._progress.sites if s.step == step and s.site_id in self._steps[step]
        ]
        failed = sum(s.state == State.SITE_ROLLOUT_STATE_FAILED for s in in_step)
        installed = sum(s.state == State.SITE_ROLLOUT_STATE_INSTALLED for s in in_step)
        offline = sum(s.state == State.SITE_ROLLOUT_STATE_OFFLINE for s in in_step)
        return failed, failed + installed, offline, installed

    async def _halt(
        self, step: int, failed: int, reached: int
    ) -> rollout_pb2.RolloutStoreFleetResult:
        bundle, ring = self._input.bundle.bundle_id, self._input.ring
        reason = (
            f"step {step}: {failed} of {reached} sites failed (threshold: more than "
            f"{self._input.max_failure_ratio:.0%} and at least {max(1, self._input.min_failures)})"
        )
        await self._record(
            f"step-{step}/RolloutHalted",
            "RolloutHalted",
            rollout_halted=facts_pb2.RolloutHalted(
                bundle_id=bundle, ring=ring, step=step, sites_failed=failed,
                sites_in_step=len(self._steps[step]), reason=reason,
            ),
        )  # fmt: skip
        self._phase = Phase.ROLLOUT_PHASE_ROLLING_BACK
        self._reason = reason
        upgraded = [s for s in self._progress.sites if s.bundle_installed]
        gate = asyncio.Semaphore(_CONCURRENCY)

        async def back(site: rollout_pb2.SiteRolloutStatus) -> SiteOutcome:
            async with gate:
                try:
                    return await workflow.execute_activity_method(
                        RolloutActivities.roll_back_site_bundle,
                        RollBackSiteBundle(
                            site_id=site.site_id, bundle_id=bundle,
                            restore_bundle_id=site.previous_bundle_id, ring=ring,
                        ),
                        start_to_close_timeout=_INSTALL_TIMEOUT,
                        retry_policy=_SITE_RETRY,
                    )  # fmt: skip
                except ActivityError as err:
                    return SiteOutcome(site.site_id, FAILED, f"rollback failed: {err.cause}")

        # Newest step first: the sites upgraded last go back first, a step at a time.
        for step_back in sorted({s.step for s in upgraded}, reverse=True):
            group = [s for s in upgraded if s.step == step_back]
            for outcome in await asyncio.gather(*(back(s) for s in group)):
                site = self._site(outcome.site_id)
                if outcome.state == ROLLED_BACK:
                    site.bundle_installed = False
                    self._set(
                        outcome.site_id, State.SITE_ROLLOUT_STATE_ROLLED_BACK, reason, site.step
                    )
                else:
                    site.reason = outcome.reason or "rollback did not complete"
        await self._record(
            "RolloutRolledBack",
            "RolloutRolledBack",
            rollout_rolled_back=facts_pb2.RolloutRolledBack(
                bundle_id=bundle, ring=ring, reason=reason
            ),
        )
        return await self._end(Phase.ROLLOUT_PHASE_ROLLED_BACK, reason)

    async def _end(self, phase: int, reason: str) -> rollout_pb2.RolloutStoreFleetResult:
        for site in self._progress.sites:
            if site.state == State.SITE_ROLLOUT_STATE_PENDING:
                site.state = State.SITE_ROLLOUT_STATE_NOT_REACHED
                site.reason = reason or "not reached"
                site.updated_at.CopyFrom(to_timestamp(workflow.now()))
        self._phase = phase  # type: ignore[assignment]
        self._reason = reason
        sites = self._progress.sites

        def count(state: int) -> int:
            return sum(s.state == state for s in sites)

        if phase == Phase.ROLLOUT_PHASE_COMPLETED:
            await self._record(
                "RolloutCompleted",
                "RolloutCompleted",
                rollout_completed=facts_pb2.RolloutCompleted(
                    bundle_id=self._input.bundle.bundle_id, ring=self._input.ring,
                    sites_installed=count(State.SITE_ROLLOUT_STATE_INSTALLED),
                    sites_offline=count(State.SITE_ROLLOUT_STATE_OFFLINE),
                    sites_failed=count(State.SITE_ROLLOUT_STATE_FAILED),
                ),
            )  # fmt: skip
        return rollout_pb2.RolloutStoreFleetResult(
            bundle_id=self._input.bundle.bundle_id,
            ring=self._input.ring,
            phase=phase,  # type: ignore[arg-type]
            sites_upgraded=count(State.SITE_ROLLOUT_STATE_INSTALLED),
            sites_failed=count(State.SITE_ROLLOUT_STATE_FAILED),
            sites_rolled_back=count(State.SITE_ROLLOUT_STATE_ROLLED_BACK),
            sites_offline=count(State.SITE_ROLLOUT_STATE_OFFLINE),
            sites_not_reached=count(State.SITE_ROLLOUT_STATE_NOT_REACHED),
            completed_at=to_timestamp(workflow.now()),
            sites=list(sites),
            reason=reason,
        )

    def _status(self) -> rollout_pb2.RolloutStatus:
        return rollout_pb2.RolloutStatus(
            bundle_id=self._input.bundle.bundle_id,
            ring=self._input.ring,
            phase=self._phase,
            step=self._progress.next_step,
            total_steps=len(self._steps),
            paused=self._progress.paused,
            sites=list(self._progress.sites),
            reason=self._reason,
        )

    async def _record(self, name: str, kind: str, **payload: object) -> None:
        info = workflow.info()
        fact = facts_pb2.ProcessFact(
            fact_id=f"rollout-store-fleet/{self._input.ring}/{self._input.bundle.bundle_id}/{name}",
            type=kind,
            subject=f"rollout/{self._input.ring}",
            occurred_at=to_timestamp(workflow.now()),
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            **payload,  # type: ignore[arg-type]
        )
        await workflow.execute_activity_method(
            RolloutActivities.record_rollout_fact,
            RecordRolloutFact(fact=fact.SerializeToString(deterministic=True)),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
