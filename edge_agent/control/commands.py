"""Command dispatch: turn a cloud `Command` into a `CommandResult`, once per command id.

Touches the projection only; knows nothing about the stream that carried the command.
"""

from __future__ import annotations

import logging

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.errors import ProjectionError
from edge_agent.projection import Projection

logger = logging.getLogger(__name__)


class CommandDispatcher:
    """Applies commands addressed to `site_id`; a command seen before gets its stored result."""

    def __init__(self, projection: Projection, site_id: str) -> None:
        self._projection = projection
        self._site_id = site_id

    def handle(self, command: edge_pb2.Command) -> edge_pb2.CommandResult:
        if not command.command_id:
            return edge_pb2.CommandResult(ok=False, error="command has no command_id; not applied")
        try:
            stored = self._projection.command_result(command.command_id)
            if stored is not None:
                logger.info(
                    "command %s was handled before; resending its result", command.command_id
                )
                return stored
            return self._apply(command)
        except ProjectionError as exc:
            # Not recorded: the cloud redelivers and the next attempt may succeed.
            logger.error("command %s failed: %s", command.command_id, exc)
            return edge_pb2.CommandResult(command_id=command.command_id, ok=False, error=str(exc))

    def _apply(self, command: edge_pb2.Command) -> edge_pb2.CommandResult:
        action = command.WhichOneof("action")
        if action == "apply_site_config":
            config = command.apply_site_config
            if config.site_id != self._site_id:
                result = edge_pb2.CommandResult(
                    command_id=command.command_id,
                    ok=False,
                    error=(
                        f"site config is for site {config.site_id!r} but this agent is site "
                        f"{self._site_id!r}; not applied"
                    ),
                )
                logger.error("refused command %s: %s", command.command_id, result.error)
                self._projection.record_result(result)
                return result
            result = self._projection.apply_site_config(command.command_id, config)
            logger.info(
                "applied site config generation %d (command %s)",
                result.site_config_applied.generation,
                command.command_id,
            )
            return result
        # Not recorded: a newer agent may understand it when the cloud redelivers.
        logger.error("command %s has an action this agent does not know", command.command_id)
        return edge_pb2.CommandResult(
            command_id=command.command_id,
            ok=False,
            error=(
                f"agent does not support command action {action or 'none'!r}; upgrade the agent"
            ),
        )
