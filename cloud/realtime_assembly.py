"""Builds the ops service of real-time operations from an ops session (store + Temporal).

Composition room: wires the store's compensation cases and the Temporal adapter that signals
compensation workflows (connected on first use) into `RealtimeOpsService`.
"""

from __future__ import annotations

from cloud.adapters.temporal_realtime import TemporalCompensations
from cloud.assembly import OpsServices
from cloud.services.realtime import CompensationSignals, RealtimeOpsService


def realtime_ops(ops: OpsServices, actor: str) -> RealtimeOpsService:
    async def signals() -> CompensationSignals:
        return TemporalCompensations(await ops.temporal())

    return RealtimeOpsService(ops.store.realtime_cases, signals, actor=actor)
