"""The fleet reconciliation Schedule in Temporal: create it, change it, trigger it, read it.

Adapter room: the one place that talks to Temporal's schedule API. The schedule starts one
ReconcileFleet run per interval, with jitter, and skips a start while the last pass still runs
(overlap SKIP), so passes never pile up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from ameide_core_proto.process.commerce.v1 import replication_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    RECONCILE_FLEET,
    REPLICATION_WORKFLOW_SERVICE_TASK_QUEUE,
)

__all__ = ["FLEET_SCHEDULE_ID", "FleetSchedule", "TemporalFleetSchedules"]

FLEET_SCHEDULE_ID = "reconcile-fleet"


@dataclass(frozen=True)
class FleetSchedule:
    """How the fleet schedule stands."""

    every: timedelta
    jitter: timedelta
    concurrency: int
    paused: bool
    overlap: str
    recent_runs: int


class TemporalFleetSchedules:
    """`FleetSchedules` over a Temporal client."""

    def __init__(self, client: Callable[[], Awaitable[Client]]) -> None:
        self._connect = client

    def _schedule(self, every: timedelta, jitter: timedelta, concurrency: int) -> Schedule:
        return Schedule(
            action=ScheduleActionStartWorkflow(
                RECONCILE_FLEET.name,
                replication_pb2.ReconcileFleetInput(concurrency=concurrency),
                id=RECONCILE_FLEET.id_template,
                task_queue=REPLICATION_WORKFLOW_SERVICE_TASK_QUEUE,
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)], jitter=jitter),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            state=ScheduleState(note="fleet reconciliation: downsync checksums, upsync totals"),
        )

    async def ensure(self, every: timedelta, jitter: timedelta, concurrency: int) -> None:
        """Create the schedule, or change the existing one to these settings."""
        wanted = self._schedule(every, jitter, concurrency)
        try:
            await (await self._connect()).create_schedule(FLEET_SCHEDULE_ID, wanted)
        except ScheduleAlreadyRunningError:

            def update(_current: ScheduleUpdateInput) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=wanted)

            await (await self._connect()).get_schedule_handle(FLEET_SCHEDULE_ID).update(update)

    async def trigger(self) -> None:
        """Start a pass now (skipped when one is running)."""
        await (
            (await self._connect())
            .get_schedule_handle(FLEET_SCHEDULE_ID)
            .trigger(overlap=ScheduleOverlapPolicy.SKIP)
        )

    async def describe(self) -> FleetSchedule | None:
        client = await self._connect()
        try:
            described = await client.get_schedule_handle(FLEET_SCHEDULE_ID).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        schedule = described.schedule
        action = schedule.action
        concurrency = 0
        if isinstance(action, ScheduleActionStartWorkflow) and action.args:
            # Described schedules carry their arguments still encoded.
            first = action.args[0]
            if isinstance(first, Payload):
                (decoded,) = await client.data_converter.decode(
                    [first], [replication_pb2.ReconcileFleetInput]
                )
                first = decoded
            if isinstance(first, replication_pb2.ReconcileFleetInput):
                concurrency = first.concurrency
        interval = schedule.spec.intervals[0].every if schedule.spec.intervals else timedelta()
        return FleetSchedule(
            every=interval,
            jitter=schedule.spec.jitter or timedelta(),
            concurrency=concurrency,
            paused=schedule.state.paused,
            overlap=schedule.policy.overlap.name,
            recent_runs=len(described.info.recent_actions),
        )
