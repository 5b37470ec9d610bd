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

Runs started by this build (patch `rollout-batch-children`; older histories replay the
activities they recorded):
- each step's installs, each catch-up round and each halt's rollbacks run in child workflows
  (RolloutSiteBatch) of at most `batch_size` sites, ids derived from the rollout's (its ring),
  the step and the batch, so a restarted cloud finds them instead of installing twice;
- a failed install is signalled by its batch at once: the step halts as soon as its failures
  pass the threshold even if every other site installed (more than `max_failure_ratio` of the
  step's sites, and `min_failures`), the batches start no further install, and what they had
  directed finishes before the rollback; after the installs the threshold is asked on the
  sites reached;
- the observation window reads the sites' health every `observe_every` and halts at once;
  a site whose checksums do not add up, whose replication lags past `max_replication_lag` or
  whose agent adds more than `max_new_errors` errors counts as failed, with the reason;
- a site whose move from its current bundle the matrix refuses is SKIPPED (the rule named);
- a rollout that installed on no site (all offline or skipped) ends NOT_REACHED, not COMPLETED.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from ameide_core_proto.process.commerce.v1 import facts_pb2, rollout_pb2
    from ameide_core_proto.process.commerce.v1.workflows_temporal import ROLLOUT_SITE_BATCH
    from cloud.activities.rollout import RolloutActivities
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
        SiteSignals,
    )
    from cloud.workflows.rollout_batch import RolloutSiteBatchWorkflow
    from cloud.workflows.rollout_retries import SITE_RETRY, STORE_RETRY, STORE_TIMEOUT
    from shared.timestamps import to_timestamp

Phase = rollout_pb2.RolloutPhase
State = rollout_pb2.SiteRolloutState
_STORE_TIMEOUT = STORE_TIMEOUT
_STORE_RETRY = STORE_RETRY
# Runs recorded before the batches (patch below) replay with these: one install may wait for a
# quiet store and a health gate; the agent's deadline bounds it.
_INSTALL_TIMEOUT = timedelta(hours=2)
_SITE_RETRY = SITE_RETRY
_CONCURRENCY = 50
BATCHES_PATCH = "rollout-batch-children"
# Sites per RolloutSiteBatch child (input `batch_size`, 0: this).
BATCH_SIZE = 100
# Defaults of the health bounds (input 0: these).
MAX_REPLICATION_LAG = 10_000
MAX_NEW_ERRORS = 10
# Continue as new after a step once the run's history passes this many events.
HISTORY_EVENTS_PER_RUN = 4_000
_ENDED = (
    Phase.ROLLOUT_PHASE_COMPLETED,
    Phase.ROLLOUT_PHASE_ROLLED_BACK,
    Phase.ROLLOUT_PHASE_ABORTED,
    Phase.ROLLOUT_PHASE_NOT_REACHED,
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


def batches(site_ids: list[str], size: int) -> list[list[str]]:
    """`site_ids` in consecutive batches of at most `size` (0: `BATCH_SIZE`)."""
    size = size if size > 0 else BATCH_SIZE
    return [site_ids[i : i + size] for i in range(0, len(site_ids), size)]


def signal_failures(
    signals: SiteSignals, errors_before: int, max_lag: int, max_new_errors: int
) -> str:
    """Why a site's own health signals make it a failure ("" when they do not)."""
    if signals.checksum_mismatches:
        return (
            "its projection's rows do not add up to their checksums in "
            f"{', '.join(signals.checksum_mismatches)}"
        )
    if signals.replication_lag is not None and signals.replication_lag > max_lag:
        return f"replication lags {signals.replication_lag} changes behind (more than {max_lag})"
    # The agent counts errors since its process started: a total below the first reading
    # means it restarted since, and every error of the new process is new.
    total = sum(signals.error_counts.values())
    new_errors = total - errors_before if total >= errors_before else total
    if new_errors > max_new_errors:
        last = f"; last: {signals.last_error}" if signals.last_error else ""
        return f"{new_errors} new errors while observed (more than {max_new_errors}){last}"
    return ""


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
        self._batched = False
        # Each observed site's error count when first observed in the current step.
        self._errors_before: dict[str, int] = {}

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

    @workflow.signal(name="ReportRolloutSite")
    def report_rollout_site(self, report: rollout_pb2.RolloutSiteReport) -> None:
        """A batch's failed install, counted at once (the batch's result repeats it)."""
        if report.site_id in {s.site_id for s in self._progress.sites}:
            self._apply(report)

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
        self._batched = workflow.patched(BATCHES_PATCH)
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
            if self._batched:
                halted = await self._run_step(step)
                if halted is not None:
                    return halted
                if self._abort_reason:
                    return await self._end(Phase.ROLLOUT_PHASE_ABORTED, self._abort_reason)
            else:
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
        if self._batched and not any(
            s.state == State.SITE_ROLLOUT_STATE_INSTALLED for s in self._progress.sites
        ):
            return await self._end(Phase.ROLLOUT_PHASE_NOT_REACHED, self._not_reached_reason())
        return await self._end(Phase.ROLLOUT_PHASE_COMPLETED, "")

    def _not_reached_reason(self) -> str:
        sites = self._progress.sites
        offline = sum(s.state == State.SITE_ROLLOUT_STATE_OFFLINE for s in sites)
        skipped = sum(s.state == State.SITE_ROLLOUT_STATE_SKIPPED for s in sites)
        failed = sum(s.state == State.SITE_ROLLOUT_STATE_FAILED for s in sites)
        parts = [f"{n} {what}" for n, what in
                 ((offline, "offline"), (skipped, "skipped"), (failed, "failed")) if n]  # fmt: skip
        return (
            f"the bundle was installed on none of the {len(sites)} selected sites "
            f"({', '.join(parts)}); nothing changed: start the rollout again once the sites "
            "are back (`commerce-cloud sites list` shows when they were last seen)"
        )

    # Batched steps (runs with the patch)

    async def _run_step(self, step: int) -> rollout_pb2.RolloutStoreFleetResult | None:
        """Install one step in batches, halting at once past the threshold, then observe.

        Returns the result when the step halted (and rolled back), None to go on.
        """
        sites = self._steps[step]
        for site_id in sites:
            self._site(site_id).step = step
        total = len(sites)
        ratio, minimum = self._input.max_failure_ratio, self._input.min_failures

        def certain() -> bool:  # the step will halt whatever the sites still running do
            return should_halt(self._failed_in(step), total, ratio, minimum)

        running = await self._start_batches(f"step-{step}", step, sites, certain)
        if running is not None:
            return await self._halt(step, self._failed_in(step), total, running)
        failed, reached, _, _ = self._counts(step)
        if should_halt(failed, reached, ratio, minimum):
            return await self._halt(step, failed, reached)
        self._phase = Phase.ROLLOUT_PHASE_OBSERVING
        self._errors_before = {}
        window = self._input.observe_for.ToTimedelta()
        every = self._input.observe_every.ToTimedelta()
        if every <= timedelta(0):
            every = max(window / 5, timedelta(seconds=1))
        deadline = workflow.now() + window
        while True:
            remaining = deadline - workflow.now()
            if remaining > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: bool(self._abort_reason), timeout=min(every, remaining)
                    )
                if self._abort_reason:
                    return None  # an abort ends the window early; the installs stay
            await self._observe(step)
            failed, reached, _, _ = self._counts(step)
            if should_halt(failed, reached, ratio, minimum):
                return await self._halt(step, failed, reached)
            if workflow.now() >= deadline:
                return None

    def _failed_in(self, step: int) -> int:
        return sum(
            s.state == State.SITE_ROLLOUT_STATE_FAILED
            for s in self._progress.sites
            if s.step == step and s.site_id in self._steps[step]
        )

    async def _start_batches(
        self,
        name: str,
        step: int,
        site_ids: list[str],
        halt_now: Callable[[], bool] | None,
        restore: dict[str, str] | None = None,
    ) -> asyncio.Future[object] | None:
        """Run `site_ids` in RolloutSiteBatch children and apply their reports.

        Returns None once every batch finished; when `halt_now()` turns true first, tells the
        batches to stop and returns what still runs (the caller awaits it, then applies it).
        """
        groups = batches(site_ids, self._input.batch_size)
        bundle = self._input.bundle
        concurrency = max(1, _CONCURRENCY // max(1, len(groups)))
        handles = []
        for number, group in enumerate(groups):
            batch = f"{name}/batch-{number}"
            handles.append(
                await workflow.start_child_workflow(
                    RolloutSiteBatchWorkflow.run,
                    rollout_pb2.RolloutSiteBatchInput(
                        ring=self._input.ring, batch=batch, bundle_id=bundle.bundle_id,
                        sha256=self._bundle_sha256, size=self._bundle_size, step=step,
                        roll_back=restore is not None,
                        sites=[
                            rollout_pb2.RolloutBatchSite(
                                site_id=s, restore_bundle_id=(restore or {}).get(s, "")
                            )
                            for s in group
                        ],
                        concurrency=concurrency,
                        site_timeout=self._input.install_timeout,
                    ),
                    id=ROLLOUT_SITE_BATCH.id_template.format(ring=self._input.ring, batch=batch),
                    task_queue=workflow.info().task_queue,
                )
            )  # fmt: skip
        every = asyncio.gather(*handles, return_exceptions=True)
        await workflow.wait_condition(lambda: every.done() or (halt_now is not None and halt_now()))
        if not every.done():
            for handle in handles:
                if not handle.done():
                    # A batch that finished meanwhile is not found: nothing left to stop there.
                    with contextlib.suppress(ApplicationError):
                        await handle.signal(
                            RolloutSiteBatchWorkflow.stop_rollout_batch,
                            rollout_pb2.StopRolloutBatch(reason=f"the rollout halted at {name}"),
                        )

            async def finish() -> object:
                await self._apply_batches(every, groups, restore is not None)
                return None

            return asyncio.ensure_future(finish())
        await self._apply_batches(every, groups, restore is not None)
        return None

    async def _apply_batches(
        self,
        every: asyncio.Future[list[rollout_pb2.RolloutSiteBatchResult | BaseException]],
        groups: list[list[str]],
        roll_back: bool,
    ) -> None:
        for group, result in zip(groups, await every, strict=True):
            if isinstance(result, BaseException):  # the batch itself failed: say so per site
                what = "rollback" if roll_back else "install"
                failed = State.SITE_ROLLOUT_STATE_FAILED
                reports = [
                    rollout_pb2.RolloutSiteReport(
                        site_id=s, state=failed, reason=f"{what} batch failed: {result}"
                    )
                    for s in group
                    if roll_back or not self._site(s).bundle_installed
                ]
            else:
                reports = list(result.sites)
            for report in reports:
                if roll_back:
                    self._apply_rollback(report)
                else:
                    self._apply(report)

    def _apply(self, report: rollout_pb2.RolloutSiteReport) -> None:
        site = self._site(report.site_id)
        self._set(report.site_id, report.state, report.reason, site.step)
        if report.previous_bundle_id:
            site.previous_bundle_id = report.previous_bundle_id
        site.bundle_installed = report.bundle_installed

    def _apply_rollback(self, report: rollout_pb2.RolloutSiteReport) -> None:
        site = self._site(report.site_id)
        if report.state == State.SITE_ROLLOUT_STATE_ROLLED_BACK:
            site.bundle_installed = False
            why = self._reason
            if site.state == State.SITE_ROLLOUT_STATE_FAILED:  # keep what went wrong on it
                why = f"{site.reason}; rolled back: {self._reason}"
            self._set(report.site_id, report.state, why, site.step)
        else:
            site.reason = report.reason or "rollback did not complete"

    async def _catch_up_offline(self) -> None:
        """Give sites that were offline in their step the bundle once they are back."""
        for round_ in range(self._input.offline_rounds or 1):
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
            if self._batched:
                await self._start_batches(f"catch-up-{round_}", -1, offline, None)
            else:
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
        if not self._batched:
            return
        max_lag = self._input.max_replication_lag or MAX_REPLICATION_LAG
        max_errors = self._input.max_new_errors or MAX_NEW_ERRORS
        for site_id, signals in sorted(observed.signals.items()):
            if site_id not in installed or site_id in observed.unhealthy:
                continue
            if site_id in observed.offline:
                continue
            errors = sum(signals.error_counts.values())
            why = signal_failures(
                signals, self._errors_before.setdefault(site_id, errors), max_lag, max_errors
            )
            if why:
                failed = State.SITE_ROLLOUT_STATE_FAILED
                self._set(site_id, failed, f"unhealthy after install: {why}", step)

    def _counts(self, step: int) -> tuple[int, int, int, int]:
        in_step = [
            s for s in self._progress.sites if s.step == step and s.site_id in self._steps[step]
        ]
        failed = sum(s.state == State.SITE_ROLLOUT_STATE_FAILED for s in in_step)
        installed = sum(s.state == State.SITE_ROLLOUT_STATE_INSTALLED for s in in_step)
        offline = sum(s.state == State.SITE_ROLLOUT_STATE_OFFLINE for s in in_step)
        return failed, failed + installed, offline, installed

    async def _halt(
        self, step: int, failed: int, reached: int, running: asyncio.Future[object] | None = None
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
        if running is not None:
            await running  # installs already directed finish: they may need rolling back too
        upgraded = [s for s in self._progress.sites if s.bundle_installed]
        if self._batched:
            # Newest step first, each step's sites in batches of their own.
            for step_back in sorted({s.step for s in upgraded}, reverse=True):
                restore = {s.site_id: s.previous_bundle_id for s in upgraded if s.step == step_back}
                name = f"rollback/step-{step_back}"
                await self._start_batches(name, step_back, list(restore), None, restore)
            return await self._rolled_back(reason)
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
        return await self._rolled_back(reason)

    async def _rolled_back(self, reason: str) -> rollout_pb2.RolloutStoreFleetResult:
        bundle, ring = self._input.bundle.bundle_id, self._input.ring
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
