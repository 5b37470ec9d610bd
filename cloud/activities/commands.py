"""The activity that directs a store: queue a command, complete when the agent answers.

Activity room: writes the site's durable command queue with this attempt's task token and
returns through Temporal async completion; the gateway completes it with the agent's result.
Each attempt (a retry after a retryable failure or a timeout) queues the same command id again,
so the gateway delivers it once more; the agent applies a command id at most once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from temporalio import activity

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.activities.command_outcomes import settle
from cloud.activities.messages import SendSiteCommand
from cloud.ports import CommandsPort

logger = logging.getLogger(__name__)


class CommandWaker(Protocol):
    """Tells an in-process gateway that a command is waiting (a hint; the queue is the truth)."""

    def wake(self) -> None: ...


class _NoWaker:
    def wake(self) -> None:
        return None


def stored_result(command_id: str, ok: bool, result: bytes, error: str) -> edge_pb2.CommandResult:
    """The agent's answer as the queue stored it (older rows may hold no result bytes)."""
    if result:
        return edge_pb2.CommandResult.FromString(result)
    return edge_pb2.CommandResult(command_id=command_id, ok=ok, error=error)


class SiteCommandActivities:
    """Puts commands on a site's durable queue."""

    def __init__(self, commands: CommandsPort, waker: CommandWaker | None = None) -> None:
        self._commands = commands
        self._waker = waker or _NoWaker()

    @activity.defn(name="SendSiteCommand")
    async def send_site_command(self, req: SendSiteCommand) -> edge_pb2.CommandResult:
        """Queue `req` for its site and complete when the agent reports (async completion)."""
        info = activity.info()
        record = await asyncio.to_thread(
            self._commands.enqueue,
            req.command_id,
            req.site_id,
            req.kind,
            req.payload,
            info.task_token,
        )
        if record.status in ("completed", "failed"):
            # An earlier attempt already got the answer: return it without asking again.
            return settle(
                stored_result(
                    record.command_id,
                    record.status == "completed",
                    record.result or b"",
                    record.error or "",
                )
            )
        logger.info(
            "command %s queued for site %s (attempt %d)",
            req.command_id,
            req.site_id,
            info.attempt,
        )
        self._waker.wake()
        activity.raise_complete_async()
