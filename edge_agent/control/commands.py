"""Command dispatch: turn a cloud `Command` into a `CommandResult`, once per command id.

Touches the projection only, through the `CommandStore` port; knows nothing about the stream
that carried the command. What a failure reports is decided in `control.outcomes`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import edge_pb2, realtime_pb2, store_site_pb2, sync_pb2
from edge_agent.control import outcomes
from edge_agent.errors import (
    InstallDeferred,
    InstallRolledBack,
    MalformedCommand,
    MissingCommandId,
    ProjectionError,
    UnknownAction,
    UnsupportedStream,
    WrongSite,
)
from edge_agent.health_signals import INSTALL, HealthSignals
from edge_agent.installer import CalendarError, calendar_from_proto
from edge_agent.replication import unsupported_bindings

logger = logging.getLogger(__name__)


class CommandStore(Protocol):
    """Where handled commands and what they changed are kept (the projection)."""

    async def command_result(self, command_id: str) -> edge_pb2.CommandResult | None: ...

    async def record_result(self, result: edge_pb2.CommandResult) -> edge_pb2.CommandResult: ...

    async def apply_site_config(
        self,
        command_id: str,
        config: store_site_pb2.SiteConfig,
        result_of: Callable[[edge_pb2.SiteConfigApplied], edge_pb2.CommandResult],
    ) -> edge_pb2.CommandResult: ...


class ReplicationHandlers(Protocol):
    """What RunDownsync and RunUpsync do (`edge_agent.replication.commands`)."""

    async def run_downsync(
        self, command: edge_pb2.RunDownsyncCommand
    ) -> sync_pb2.ReplicationStatus: ...

    async def run_upsync(
        self, command: edge_pb2.RunUpsyncCommand
    ) -> sync_pb2.ReplicationStatus: ...

    async def rebuild_projection(
        self, command: edge_pb2.RebuildProjectionCommand
    ) -> sync_pb2.ReplicationStatus: ...

    def site_config_applied(self) -> None:
        """A configuration (and so perhaps new bindings) was applied: pull soon."""


class CompensationNotices(Protocol):
    """Where compensation cases the cloud tells the store about are kept (the realtime journal)."""

    async def compensation_notice(self, notice: realtime_pb2.CompensationNotice) -> None: ...


class InstallHandler(Protocol):
    """What install_bundle does (`edge_agent.installer.InstallerService`)."""

    async def install(
        self, command_id: str, command: edge_pb2.InstallBundleCommand
    ) -> edge_pb2.BundleInstallReport | None:
        """The report; None when the agent restarts to go on (the command stays open)."""
        ...


class CommandDispatcher:
    """Applies commands addressed to `site_id`; a command seen before gets its stored result.

    Succeeded and permanently failed commands are recorded under their id; a retryable
    failure is not, so the same command id is applied again when the cloud redelivers it.
    """

    def __init__(
        self,
        store: CommandStore,
        site_id: str,
        replication: ReplicationHandlers | None = None,
        compensations: CompensationNotices | None = None,
        installer: InstallHandler | None = None,
        signals: HealthSignals | None = None,
    ) -> None:
        self._signals = signals
        self._store = store
        self._site_id = site_id
        self._replication = replication
        self._compensations = compensations
        self._installer = installer

    async def handle(self, command: edge_pb2.Command) -> edge_pb2.CommandResult | None:
        """The command's result; None when it stays unanswered (the agent restarts to carry
        it on, and answers when the cloud delivers it again)."""
        try:
            return await self._handle(command)
        except Exception as exc:
            result = outcomes.failed(command.command_id, exc)
            if (
                self._signals is not None
                and command.WhichOneof("action") == "install_bundle"
                and not isinstance(exc, InstallDeferred)
            ):
                self._signals.error(INSTALL, result.message)
            logger.log(
                logging.WARNING if result.outcome == outcomes.FAILED_RETRYABLE else logging.ERROR,
                "command %s failed (%s, %s): %s",
                command.command_id or "without id",
                result.reason,
                edge_pb2.CommandOutcome.Name(result.outcome),
                result.message,
                exc_info=result.reason == outcomes.INTERNAL_ERROR,
            )
            if outcomes.is_final(result) and command.command_id:
                return await self._record_refusal(result)
            return result

    async def _handle(self, command: edge_pb2.Command) -> edge_pb2.CommandResult | None:
        if not command.command_id:
            raise MissingCommandId(
                "the command has no command_id, so it cannot be applied exactly once; it was "
                "not applied. Report this to cloud operations"
            )
        stored = await self._store.command_result(command.command_id)
        if stored is not None:
            logger.info("command %s was handled before; resending its result", command.command_id)
            return outcomes.with_outcome(stored)
        action = command.WhichOneof("action")
        if action == "apply_site_config":
            return await self._apply_site_config(command.command_id, command.apply_site_config)
        replicating = ("run_downsync", "run_upsync", "rebuild_projection")
        if action in replicating and self._replication is not None:
            if action == "run_downsync":
                status = await self._replication.run_downsync(command.run_downsync)
            elif action == "run_upsync":
                status = await self._replication.run_upsync(command.run_upsync)
            else:
                status = await self._replication.rebuild_projection(command.rebuild_projection)
            result = outcomes.succeeded(command.command_id, replication_status=status)
            logger.info("%s done (command %s)", action, command.command_id)
            return outcomes.with_outcome(await self._store.record_result(result))
        if action == "compensation_notice" and self._compensations is not None:
            notice = command.compensation_notice
            if notice.rejection.site_id != self._site_id:
                raise WrongSite(
                    f"compensation {notice.rejection.exception_id!r} is for site "
                    f"{notice.rejection.site_id!r} but this agent is site {self._site_id!r}"
                )
            await self._compensations.compensation_notice(notice)
            result = outcomes.succeeded(command.command_id)
            logger.warning(
                "compensation %s %s: %s",
                notice.rejection.exception_id,
                "resolved" if notice.resolved else "opened",
                notice.resolution or notice.rejection.cloud_decision.message,
            )
            return outcomes.with_outcome(await self._store.record_result(result))
        if action == "install_bundle" and self._installer is not None:
            return await self._install(command.command_id, command.install_bundle)
        raise UnknownAction(
            f"command {command.command_id} carries "
            f"{'no action' if action is None else f'action {action!r}'} this agent does not "
            "know (a newer cloud may send actions an older agent lacks); it was not applied. "
            "Upgrade the agent, then send the change again as a new command"
        )

    async def _apply_site_config(
        self, command_id: str, config: store_site_pb2.SiteConfig
    ) -> edge_pb2.CommandResult:
        if config.site_id != self._site_id:
            raise WrongSite(
                f"site config is for site {config.site_id!r} but this agent is site "
                f"{self._site_id!r}; not applied. Check which site the command was meant for"
            )
        if config.generation < 1:
            raise MalformedCommand(
                f"site config for {config.site_id!r} has generation {config.generation}; "
                "generations start at 1. Not applied; report this to cloud operations"
            )
        if config.HasField("trading_calendar"):
            try:
                calendar_from_proto(config.timezone, config.trading_calendar)
            except CalendarError as exc:
                raise MalformedCommand(
                    f"site config generation {config.generation}: {exc}; not applied. Correct "
                    "the site's trading calendar and send it again"
                ) from None
        unsupported = unsupported_bindings(config.bindings)
        if unsupported:
            names = ", ".join(
                f"{b.stream!r} ({store_site_pb2.ReplicationDirection.Name(b.direction)})"
                for b in unsupported
            )
            raise UnsupportedStream(
                f"site config generation {config.generation} binds stream(s) {names} that this "
                f"agent release cannot replicate; not applied. Upgrade commerce-edge on this "
                f"store server, or remove the stream(s) from sales channel "
                f"{config.sales_channel_id!r}, then provision the site again"
            )
        result = await self._store.apply_site_config(
            command_id,
            config,
            lambda applied: outcomes.succeeded(command_id, site_config_applied=applied),
        )
        if self._replication is not None:
            self._replication.site_config_applied()
        logger.info(
            "applied site config generation %d (command %s)",
            result.site_config_applied.generation,
            command_id,
        )
        return outcomes.with_outcome(result)

    async def _install(
        self, command_id: str, command: edge_pb2.InstallBundleCommand
    ) -> edge_pb2.CommandResult | None:
        assert self._installer is not None
        report = await self._installer.install(command_id, command)
        if report is None:
            return None
        if report.outcome == edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK:
            result = outcomes.failed(
                command_id,
                InstallRolledBack(
                    f"bundle {report.bundle_id} was rolled back at step {report.failed_step}: "
                    f"{report.message}; {report.current_bundle} runs. Fix the bundle and "
                    "publish a new one"
                ),
            )
            result.bundle_install.CopyFrom(report)
            if self._signals is not None:
                self._signals.error(INSTALL, result.message)
        else:
            result = outcomes.succeeded(command_id, bundle_install=report)
        logger.info(
            "install_bundle %s: %s (command %s)",
            report.bundle_id,
            edge_pb2.BundleInstallOutcome.Name(report.outcome),
            command_id,
        )
        return outcomes.with_outcome(await self._store.record_result(result))

    async def _record_refusal(self, result: edge_pb2.CommandResult) -> edge_pb2.CommandResult:
        """Record a permanent failure so a redelivery gets the same answer (or the first one)."""
        try:
            return await self._store.record_result(result)
        except ProjectionError as exc:
            logger.error(
                "could not record the refusal of command %s (%s); a redelivery will be "
                "handled again",
                result.command_id,
                exc,
            )
            return result
