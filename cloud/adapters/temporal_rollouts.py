"""Starts and reaches RolloutStoreFleet runs in Temporal for ops.

Adapter room: starts a ring's rollout with its bundle and ring search attributes (one running
rollout per ring: the workflow id is the ring's), and sends the operators' signals and
updates. Maps the SDK's failures to ours: a rollout already running for the ring and an
update the workflow refused are `InvalidInput`; no rollout for the ring is `NotFound`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from ameide_core_proto.process.commerce.v1 import rollout_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    ROLLOUT_STORE_FLEET,
    RolloutStoreFleetHandle,
    RolloutWorkflowServiceClient,
)
from cloud.temporal.search_attributes import BUNDLE_ID, ROLLOUT_RING
from shared.errors import InvalidInput, NotFound

__all__ = ["TemporalRollouts"]

ClientSource = Callable[[], Awaitable[Client]]


def _refused(err: WorkflowUpdateFailedError) -> InvalidInput:
    cause = err.cause
    return InvalidInput(f"the rollout refused: {getattr(cause, 'message', None) or cause}")


class TemporalRollouts:
    """`RolloutWorkflows` over a Temporal client."""

    def __init__(self, client: ClientSource) -> None:
        self._client = client

    async def _runs(self) -> RolloutWorkflowServiceClient:
        return RolloutWorkflowServiceClient(await self._client())

    async def _handle(self, ring: str) -> RolloutStoreFleetHandle:
        return (await self._runs()).get_rollout_store_fleet_handle(
            ROLLOUT_STORE_FLEET.id_template.format(ring=ring)
        )

    async def start(self, request: rollout_pb2.RolloutStoreFleetInput) -> str:
        """Start the ring's rollout; its workflow id."""
        try:
            handle = await (await self._runs()).start_rollout_store_fleet(
                request,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(BUNDLE_ID, request.bundle.bundle_id),
                        SearchAttributePair(ROLLOUT_RING, request.ring),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError as exc:
            raise InvalidInput(
                f"a rollout of ring {request.ring} is already running; see `commerce-cloud "
                f"rollouts status {request.ring}`, abort it first or use another ring"
            ) from exc
        return handle.id

    async def status(self, ring: str) -> rollout_pb2.RolloutStatus:
        handle = await self._handle(ring)
        try:
            return await handle.get_rollout_status(rollout_pb2.GetRolloutStatusRequest())
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise NotFound(
                    f"no rollout of ring {ring}; start one with `rollouts start`"
                ) from exc
            raise

    async def result(self, ring: str) -> rollout_pb2.RolloutStoreFleetResult:
        return await (await self._handle(ring)).result()

    async def pause(self, ring: str, reason: str) -> None:
        await self._signal(ring, pause=rollout_pb2.PauseRollout(reason=reason))

    async def resume(self, ring: str) -> None:
        await self._signal(ring, resume=rollout_pb2.ResumeRollout())

    async def _signal(
        self,
        ring: str,
        pause: rollout_pb2.PauseRollout | None = None,
        resume: rollout_pb2.ResumeRollout | None = None,
    ) -> None:
        handle = await self._handle(ring)
        try:
            if pause is not None:
                await handle.pause_rollout_signal(pause)
            elif resume is not None:
                await handle.resume_rollout_signal(resume)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise NotFound(f"no running rollout of ring {ring}") from exc
            raise

    async def approve(self, ring: str, step: int) -> rollout_pb2.RolloutStatus:
        handle = await self._handle(ring)
        try:
            accepted = await handle.approve_rollout_step_update(
                rollout_pb2.ApproveRolloutStep(step=step)
            )
        except WorkflowUpdateFailedError as exc:
            raise _refused(exc) from exc
        except RPCError as exc:
            raise NotFound(f"no running rollout of ring {ring} ({exc.message})") from exc
        return accepted.status

    async def abort(self, ring: str, reason: str) -> rollout_pb2.RolloutStatus:
        handle = await self._handle(ring)
        try:
            accepted = await handle.abort_rollout_update(rollout_pb2.AbortRollout(reason=reason))
        except WorkflowUpdateFailedError as exc:
            raise _refused(exc) from exc
        except RPCError as exc:
            raise NotFound(f"no running rollout of ring {ring} ({exc.message})") from exc
        return accepted.status
