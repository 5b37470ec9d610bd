"""RunDownsync, RunUpsync and RebuildStoreSiteProjection: direct a store, then reconcile.

Workflow room: deterministic. Each run tells the site's agent what to do through the command
path (the same durable queue and async completion as provisioning), then compares what the
agent reports with the cloud's own view: per-stream checksums after a downsync or rebuild,
per register and business day counts and totals after an upsync. A mismatch is a condition
carrying both numbers, never a silent pass. Each run ends with one fact in the fact log.

Patching convention: as in `cloud.workflows.store_site`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from ameide_core_proto.process.commerce.v1 import (
        conditions_pb2,
        edge_pb2,
        facts_pb2,
        replication_pb2,
        sync_pb2,
    )
    from ameide_core_proto.process.commerce.v1.workflows_temporal import (
        REPLICATION_WORKFLOW_SERVICE_TASK_QUEUE,
        RUN_DOWNSYNC,
        RUN_UPSYNC,
    )
    from cloud.activities.command_outcomes import SITE_COMMAND_FAILED
    from cloud.activities.commands import SiteCommandActivities
    from cloud.activities.messages import SendSiteCommand
    from cloud.activities.replication import ReplicationActivities
    from cloud.activities.replication_messages import (
        CompareDownsync,
        CompareUpsync,
        DownsyncComparison,
        ListReadySites,
        PreparedReplication,
        PrepareReplication,
        RecordReplicationFact,
        StreamPosition,
    )
    from shared.timestamps import to_timestamp

_TRUE = conditions_pb2.CONDITION_STATUS_TRUE
_FALSE = conditions_pb2.CONDITION_STATUS_FALSE
_STORE_TIMEOUT = timedelta(seconds=30)
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["InvalidReplicationRequest", "UnknownSite", "SiteNotReady"],
)
_COMMAND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[SITE_COMMAND_FAILED],
)
# Rounds of pull-and-compare while the cloud keeps writing: each round pulls to the head
# read at its start; a comparison is only meaningful once the agent stands at the head.
MAX_ROUNDS = 3


def _refusal(err: ActivityError) -> ApplicationError | None:
    """The business failure inside an activity error, when it is one."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return ApplicationError(cause.message, *cause.details, type=cause.type, non_retryable=True)
    return None


class _Reconciliation:
    """What every replication workflow shares: preparing, commanding the site, conditions."""

    def __init__(self) -> None:
        self._conditions: dict[str, conditions_pb2.Condition] = {}

    async def _prepare(
        self, site_id: str, direction: str, streams: Sequence[str]
    ) -> PreparedReplication:
        try:
            return await workflow.execute_activity_method(
                ReplicationActivities.prepare_replication,
                PrepareReplication(site_id=site_id, direction=direction, streams=list(streams)),
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_STORE_RETRY,
            )
        except ActivityError as err:
            refused = _refusal(err)
            if refused is not None:
                raise refused from err
            raise

    async def _command(
        self, prepared: PreparedReplication, name: str, command: edge_pb2.Command
    ) -> sync_pb2.ReplicationStatus:
        """Send `command` to the site and return the ReplicationStatus it answers with."""
        info = workflow.info()
        kind = command.WhichOneof("action") or "none"
        try:
            result = await workflow.execute_activity_method(
                SiteCommandActivities.send_site_command,
                SendSiteCommand(
                    command_id=f"{info.workflow_id}/{info.run_id}/{name}",
                    site_id=prepared.site_id,
                    kind=kind,
                    payload=command.SerializeToString(deterministic=True),
                ),
                start_to_close_timeout=timedelta(seconds=prepared.command_timeout_seconds),
                schedule_to_close_timeout=timedelta(seconds=prepared.command_timeout_seconds),
                retry_policy=_COMMAND_RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == SITE_COMMAND_FAILED:
                reason = str(cause.details[0]) if cause.details else "AgentRefused"
                raise ApplicationError(
                    f"the store agent of site {prepared.site_id} refused {kind} ({reason}): "
                    f"{cause.message}",
                    reason,
                    type=SITE_COMMAND_FAILED,
                    non_retryable=True,
                ) from err
            raise ApplicationError(
                f"the store agent of site {prepared.site_id} did not answer {kind} within "
                f"{prepared.command_timeout_seconds:.0f} s; check `commerce-edge status` there",
                type="AgentDidNotAnswer",
                non_retryable=True,
            ) from err
        return result.replication_status

    async def _record(self, fact: facts_pb2.ProcessFact) -> None:
        await workflow.execute_activity_method(
            ReplicationActivities.record_replication_fact,
            RecordReplicationFact(fact=fact.SerializeToString(deterministic=True)),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )

    def _fact(self, site_id: str, kind: str, **payload: object) -> facts_pb2.ProcessFact:
        info = workflow.info()
        return facts_pb2.ProcessFact(
            fact_id=f"{info.workflow_id}/{info.run_id}/{kind}",
            type=kind,
            subject=f"site/{site_id}",
            occurred_at=to_timestamp(workflow.now()),
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            **payload,  # type: ignore[arg-type]
        )

    def _set(self, kind: str, ok: bool, reason: str, message: str) -> None:
        self._conditions[kind] = conditions_pb2.Condition(
            type=kind,
            status=_TRUE if ok else _FALSE,
            reason=reason,
            message=message,
            last_transition_time=to_timestamp(workflow.now()),
        )

    async def _pull_and_compare(
        self, prepared: PreparedReplication, streams: list[str], name: str
    ) -> tuple[DownsyncComparison, list[int], float]:
        """Pull to the head, compare; again (bounded) while the cloud moved on meanwhile.

        Returns the last comparison, the changes applied in each round and the seconds taken.
        """
        positions: list[StreamPosition] = prepared.streams
        started = workflow.now()
        comparison = DownsyncComparison(streams=[])
        applied: list[int] = []
        for round_number in range(1, MAX_ROUNDS + 1):
            status = await self._command(
                prepared,
                f"{name}/{round_number}",
                edge_pb2.Command(
                    run_downsync=edge_pb2.RunDownsyncCommand(
                        streams=streams,
                        heads=[
                            sync_pb2.StreamCheckpoint(stream=p.stream, applied_seq=p.head_seq)
                            for p in positions
                        ],
                    )
                ),
            )
            applied.append(status.changes_applied)
            comparison = await workflow.execute_activity_method(
                ReplicationActivities.compare_downsync,
                CompareDownsync(
                    site_id=prepared.site_id,
                    streams=positions,
                    status=status.SerializeToString(deterministic=True),
                ),
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_STORE_RETRY,
            )
            if all(s.caught_up for s in comparison.streams):
                break
            positions = [
                StreamPosition(stream=s.stream, scope=p.scope, head_seq=s.cloud_head)
                for s, p in zip(comparison.streams, positions, strict=True)
            ]
        seconds = (workflow.now() - started).total_seconds()
        self._checksum_conditions(comparison)
        return comparison, applied, seconds

    def _checksum_conditions(self, comparison: DownsyncComparison) -> None:
        behind = [s for s in comparison.streams if not s.caught_up]
        differ = [s for s in comparison.streams if s.caught_up and not s.matches]
        if differ:
            self._set(
                "ChecksumsMatch",
                False,
                "ChecksumMismatch",
                "; ".join(
                    f"{s.stream} at seq {s.cloud_head}: store has {s.agent_rows} rows "
                    f"(digest {s.agent_digest[:16]}), cloud has {s.cloud_rows} rows "
                    f"(digest {s.cloud_digest[:16]})"
                    for s in differ
                ),
            )
        elif behind:
            self._set(
                "ChecksumsMatch",
                False,
                "StillBehind",
                "; ".join(
                    f"{s.stream}: store at seq {s.agent_seq}, cloud at {s.cloud_head} after "
                    f"{MAX_ROUNDS} rounds (the cloud kept writing)"
                    for s in behind
                ),
            )
        else:
            self._set(
                "ChecksumsMatch",
                True,
                "ChecksumsMatch",
                ", ".join(f"{s.stream}: {s.cloud_rows} rows" for s in comparison.streams),
            )


def _checksums(comparison: DownsyncComparison) -> list[replication_pb2.TableChecksum]:
    return [
        replication_pb2.TableChecksum(table=s.stream, rows=s.agent_rows, digest=s.agent_digest)
        for s in comparison.streams
    ]


def _matched(comparison: DownsyncComparison) -> bool:
    return all(s.caught_up and s.matches for s in comparison.streams)


@workflow.defn(name="RunDownsync")
class RunDownsyncWorkflow(_Reconciliation):
    """Brings a site's projection up to the cloud's change log and proves it by checksums."""

    @workflow.run
    async def run(
        self, input: replication_pb2.RunDownsyncInput
    ) -> replication_pb2.RunDownsyncResult:
        prepared = await self._prepare(input.site_id, "down", input.streams)
        comparison, rounds, seconds = await self._pull_and_compare(
            prepared, list(input.streams), "downsync"
        )
        applied = sum(rounds)
        await self._record(
            self._fact(
                input.site_id,
                "DownsyncCompleted",
                downsync_completed=facts_pb2.DownsyncCompleted(
                    site_id=input.site_id,
                    changes_applied=applied,
                    seconds=seconds,
                    # What the first round had to catch up on: the lag when the cloud asked.
                    lag_changes=rounds[0] if rounds else 0,
                    checksums_match=_matched(comparison),
                ),
            )
        )
        return replication_pb2.RunDownsyncResult(
            site_id=input.site_id,
            changes_applied=applied,
            checkpoints={s.stream: s.agent_seq for s in comparison.streams},
            checksums=_checksums(comparison),
            completed_at=to_timestamp(workflow.now()),
            conditions=list(self._conditions.values()),
        )


@workflow.defn(name="RunUpsync")
class RunUpsyncWorkflow(_Reconciliation):
    """Has a site push its outbox, then reconciles per register and business day."""

    @workflow.run
    async def run(self, input: replication_pb2.RunUpsyncInput) -> replication_pb2.RunUpsyncResult:
        prepared = await self._prepare(input.site_id, "up", [])
        status = await self._command(
            prepared, "upsync", edge_pb2.Command(run_upsync=edge_pb2.RunUpsyncCommand())
        )
        comparison = await workflow.execute_activity_method(
            ReplicationActivities.compare_upsync,
            CompareUpsync(
                site_id=input.site_id, status=status.SerializeToString(deterministic=True)
            ),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
        differ = [d for d in comparison.register_days if not d.matches]
        if differ:
            self._set(
                "UpsyncReconciled",
                False,
                "TotalsMismatch",
                "; ".join(
                    f"register {d.register_id} on {d.business_day}: store "
                    f"{d.store_transactions} sales, {d.store_returns} returns, net "
                    f"{d.store_net_minor_units}; cloud {d.cloud_transactions} sales, "
                    f"{d.cloud_returns} returns, net {d.cloud_net_minor_units}"
                    for d in differ
                ),
            )
        else:
            self._set(
                "UpsyncReconciled",
                True,
                "TotalsMatch",
                f"{len(comparison.register_days)} register-days match; "
                f"{comparison.outbox_pending} records still in the store's outbox",
            )
        await self._record(
            self._fact(
                input.site_id,
                "UpsyncCompleted",
                upsync_completed=facts_pb2.UpsyncCompleted(
                    site_id=input.site_id,
                    records_ingested=comparison.records_ingested,
                    register_days_matched=len(comparison.register_days) - len(differ),
                    register_days_mismatched=len(differ),
                ),
            )
        )
        return replication_pb2.RunUpsyncResult(
            site_id=input.site_id,
            records_ingested=comparison.records_ingested,
            completed_at=to_timestamp(workflow.now()),
            conditions=list(self._conditions.values()),
        )


@workflow.defn(name="RebuildStoreSiteProjection")
class RebuildStoreSiteProjectionWorkflow(_Reconciliation):
    """Has a site build a new projection from a snapshot plus the tail, then verifies it."""

    @workflow.run
    async def run(
        self, input: replication_pb2.RebuildStoreSiteProjectionInput
    ) -> replication_pb2.RebuildStoreSiteProjectionResult:
        prepared = await self._prepare(input.site_id, "down", input.streams)
        rebuilt = await self._command(
            prepared,
            "rebuild",
            edge_pb2.Command(
                rebuild_projection=edge_pb2.RebuildProjectionCommand(
                    streams=list(input.streams), reason=input.reason
                )
            ),
        )
        comparison, _status, _seconds = await self._pull_and_compare(
            prepared, list(input.streams), "verify"
        )
        rows = sum(c.rows for c in rebuilt.checksums)
        await self._record(
            self._fact(
                input.site_id,
                "ProjectionRebuilt",
                projection_rebuilt=facts_pb2.ProjectionRebuilt(
                    site_id=input.site_id,
                    rows_loaded=rows,
                    checksums_match=_matched(comparison),
                    reason=input.reason,
                ),
            )
        )
        return replication_pb2.RebuildStoreSiteProjectionResult(
            site_id=input.site_id,
            rows_loaded=rows,
            checksums=_checksums(comparison),
            completed_at=to_timestamp(workflow.now()),
            conditions=list(self._conditions.values()),
        )


# Sites per page read from the store, and per run before continuing as new (bounded history:
# each site adds a few events for its two child workflows).
FLEET_PAGE = 100
FLEET_SITES_PER_RUN = 500


@workflow.defn(name="ReconcileFleet")
class ReconcileFleetWorkflow:
    """One pass over every ready site: a RunDownsync and a RunUpsync child per site.

    Sites go a bounded number at a time; a site whose own run is already going is skipped,
    not queued. The run continues as new every few hundred sites, so its history stays
    bounded however large the fleet is.
    """

    @workflow.run
    async def run(
        self, input: replication_pb2.ReconcileFleetInput
    ) -> replication_pb2.ReconcileFleetResult:
        totals = replication_pb2.ReconcileFleetInput()
        totals.CopyFrom(input)
        gate = asyncio.Semaphore(input.concurrency or 10)
        done_this_run = 0
        cursor = input.after_site_id
        while True:
            page = await workflow.execute_activity_method(
                ReplicationActivities.list_ready_sites,
                ListReadySites(after_site_id=cursor, limit=FLEET_PAGE),
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_STORE_RETRY,
            )
            if not page.site_ids:
                break
            outcomes = await asyncio.gather(
                *(self._reconcile(site_id, gate) for site_id in page.site_ids)
            )
            for outcome in outcomes:
                if outcome == "reconciled":
                    totals.sites_reconciled += 1
                elif outcome == "mismatched":
                    totals.sites_mismatched += 1
                elif outcome == "skipped":
                    totals.sites_skipped += 1
                else:
                    totals.sites_failed += 1
            cursor = page.site_ids[-1]
            done_this_run += len(page.site_ids)
            if (
                done_this_run >= FLEET_SITES_PER_RUN
                or workflow.info().is_continue_as_new_suggested()
            ):
                totals.after_site_id = cursor
                workflow.continue_as_new(totals)
        return replication_pb2.ReconcileFleetResult(
            sites_reconciled=totals.sites_reconciled,
            sites_mismatched=totals.sites_mismatched,
            sites_failed=totals.sites_failed,
            sites_skipped=totals.sites_skipped,
            completed_at=to_timestamp(workflow.now()),
        )

    async def _reconcile(self, site_id: str, gate: asyncio.Semaphore) -> str:
        async with gate:
            try:
                down = await workflow.execute_child_workflow(
                    RunDownsyncWorkflow.run,
                    replication_pb2.RunDownsyncInput(site_id=site_id),
                    id=RUN_DOWNSYNC.id_template.format(site_id=site_id),
                    task_queue=REPLICATION_WORKFLOW_SERVICE_TASK_QUEUE,
                )
                up = await workflow.execute_child_workflow(
                    RunUpsyncWorkflow.run,
                    replication_pb2.RunUpsyncInput(site_id=site_id),
                    id=RUN_UPSYNC.id_template.format(site_id=site_id),
                    task_queue=REPLICATION_WORKFLOW_SERVICE_TASK_QUEUE,
                )
            except WorkflowAlreadyStartedError:
                return "skipped"
            except ChildWorkflowError as err:
                workflow.logger.warning("reconciling site %s failed: %s", site_id, err.cause)
                return "failed"
        matched = all(c.status == _TRUE for result in (down, up) for c in result.conditions)
        return "reconciled" if matched else "mismatched"
