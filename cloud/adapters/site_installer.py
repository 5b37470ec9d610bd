"""Rollouts reach store agents through the per-site command queue (adapter room).

`QueuedSiteInstaller` is the rollout activities' `SiteBundleInstaller`: it queues an
`install_bundle` command (the agent downloads, verifies, waits for a store-closed window and
no open basket, installs and passes its health gate) and follows the command in the store
until the agent's answer, heartbeating while it waits (the command's id, status and last
error in the details; a retry after a lost worker follows the same command):

- succeeded (installed or already current): `installed`, with the bundle the site ran before;
- failed for good (rolled back at a step or the health gate, bundle refused): `failed`, with
  the agent's message;
- failed retryably (trading hours, an open basket, a download cut): queued again every
  `retry_every`, so the agent tries in its next window;
- never taken by the agent within `offline_after`: `offline`, and the command is withdrawn
  (answered in the store) so the site does not install it later unasked.

Touches only the command queue port; blocking calls run in threads.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from temporalio import activity

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.activities.rollout_messages import FAILED, INSTALLED, OFFLINE, ROLLED_BACK, SiteOutcome
from cloud.fleet_records import PublishedBundle
from cloud.ports import CommandsPort

logger = logging.getLogger(__name__)

_DONE = (
    edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED,
    edge_pb2.BUNDLE_INSTALL_OUTCOME_ALREADY_CURRENT,
)


_WITHDRAWN = "withdrawn:"
# Heartbeat at least this often (seconds), well inside the activities' heartbeat timeout.
_HEARTBEAT_EVERY = 10.0
_OFFLINE_REASON = "the site was offline when the rollout needed it"


def _withdrawn(result: bytes | None, error: str | None) -> bool:
    """A command this installer withdrew (answered in the store, never by the agent)."""
    return not result and (error or "").startswith(_WITHDRAWN)


def _resumed_command(first_id: str) -> str:
    """The command a previous attempt of this activity followed (from its last heartbeat)."""
    if not activity.in_activity():
        return ""
    details = activity.info().heartbeat_details
    last = details[-1] if details else None
    command_id = last.get("command_id", "") if isinstance(last, dict) else ""
    return command_id if isinstance(command_id, str) and command_id.startswith(first_id) else ""


class QueuedSiteInstaller:
    def __init__(
        self,
        commands: CommandsPort,
        *,
        poll_seconds: float = 2.0,
        retry_every: timedelta = timedelta(minutes=5),
        offline_after: timedelta = timedelta(minutes=15),
    ) -> None:
        self._commands = commands
        self._poll = poll_seconds
        self._retry_every = retry_every
        self._offline_after = offline_after

    async def install(self, site_id: str, bundle: PublishedBundle) -> SiteOutcome:
        command = edge_pb2.InstallBundleCommand(
            bundle_id=bundle.bundle_id, sha256=bundle.sha256, size=bundle.size
        )
        return await self._direct(site_id, command, INSTALLED)

    async def roll_back(
        self, site_id: str, bundle: PublishedBundle, restore_bundle_id: str
    ) -> SiteOutcome:
        if not restore_bundle_id or restore_bundle_id == "base":
            return SiteOutcome(
                site_id,
                FAILED,
                f"site {site_id} ran the packaged build before {bundle.bundle_id}; there is no "
                "published bundle to go back to: install the previous bundle by hand",
            )
        command = edge_pb2.InstallBundleCommand(bundle_id=restore_bundle_id)
        return await self._direct(site_id, command, ROLLED_BACK)

    async def _direct(
        self, site_id: str, install: edge_pb2.InstallBundleCommand, success: str
    ) -> SiteOutcome:
        scope = activity.info().workflow_id if activity.in_activity() else "direct"
        first_id = f"{scope}/install-bundle/{site_id}/{install.bundle_id}"
        command_id = first_id
        payload = edge_pb2.Command(command_id=command_id, install_bundle=install)
        payload.issued_at.GetCurrentTime()

        def enqueue() -> None:
            self._commands.enqueue(
                command_id, site_id, "install_bundle", payload.SerializeToString(), b""
            )

        resumed = _resumed_command(first_id)
        if resumed:  # a retry after the worker died: follow the command it had queued
            command_id = resumed
            payload.command_id = command_id
        # A site asked again after it was offline: its withdrawn command stays answered, so
        # the new request goes under a new id.
        for again in range(1, 1000):
            await asyncio.to_thread(enqueue)
            record = await asyncio.to_thread(self._commands.get, command_id)
            if record is None or not _withdrawn(record.result, record.error):
                break
            command_id = f"{first_id}/{again}"
            payload.command_id = command_id
        queued_at = datetime.now(UTC)
        while True:
            record = await asyncio.to_thread(self._commands.get, command_id)
            assert record is not None, command_id
            now = datetime.now(UTC)
            if record.finished:
                return self._outcome(site_id, record.result or b"", record.error or "", success)
            if record.status == "pending" and now - queued_at > self._offline_after:
                await asyncio.to_thread(self._withdraw, command_id, site_id)
                return SiteOutcome(
                    site_id,
                    OFFLINE,
                    f"the agent did not take the install command within {self._offline_after}",
                )
            if record.error and now - queued_at > self._retry_every:
                logger.info(
                    "site %s deferred %s (%s); asking again", site_id, command_id, record.error
                )
                await asyncio.to_thread(enqueue)
                queued_at = now
            if activity.in_activity():
                activity.heartbeat(
                    {
                        "command_id": command_id,
                        "site_id": site_id,
                        "status": record.status,
                        "error": record.error or "",
                        "queued_at": queued_at.isoformat(),
                    }
                )
            await asyncio.sleep(min(self._poll, _HEARTBEAT_EVERY))

    def _withdraw(self, command_id: str, site_id: str) -> None:
        self._commands.complete(
            command_id, site_id, False, b"", f"{_WITHDRAWN} {_OFFLINE_REASON}", datetime.now(UTC)
        )

    @staticmethod
    def _outcome(site_id: str, result_bytes: bytes, error: str, success: str) -> SiteOutcome:
        result = edge_pb2.CommandResult.FromString(result_bytes) if result_bytes else None
        if result is None:
            return SiteOutcome(site_id, FAILED, error or "the command was withdrawn")
        report = result.bundle_install
        if result.ok and report.outcome in _DONE:
            return SiteOutcome(site_id, success, "", report.previous_bundle)
        reason = result.message or result.error or error
        if report.failed_step:
            reason = f"step {report.failed_step}: {report.message}"
        return SiteOutcome(site_id, FAILED, reason, report.previous_bundle)
