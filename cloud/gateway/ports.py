"""What the gateway needs from the workflow side, as ports (Temporal sits behind them)."""

from __future__ import annotations

from typing import Protocol

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2


class WorkflowNotifier(Protocol):
    """Carries agent events back into workflows."""

    async def enrollment_completed(
        self, workflow_id: str, event: store_site_pb2.EnrollmentCompleted
    ) -> None: ...

    async def command_finished(self, task_token: bytes, result: edge_pb2.CommandResult) -> None: ...
