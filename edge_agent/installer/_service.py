"""Installer room: the running agent's side of an install (command, quiesce, health gate).

An `install_bundle` command is carried out in two processes. The running build fetches and
verifies the bundle, stages it, checks the trading calendar, waits for zero POS basket leases,
writes the journal (`ready`) and asks the daemon to restart without answering the command.
The base build then applies the steps and starts the new build on trial (`_recovery`). The
cloud redelivers the open command to the new build, which answers once its health gate
decided: passed (switch `current`, last-known-good) or failed (journal set to roll back, and
a restart; the next build answers from `last-install.json`).

Talks to the projection, the site calendar and the bundle source only through ports; file
work runs in threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.errors import BundleRejected, BundleUnavailable, InstallBusy, InstallDeferred
from edge_agent.installer._calendar import TradingCalendar
from edge_agent.installer._journal import Journal, JournalFile, Phase
from edge_agent.installer._launch import RunningRelease
from edge_agent.installer._layout import BASE_RELEASE, ReleaseLayout
from edge_agent.installer._leases import BasketLeases
from edge_agent.installer._plan import PlanError, plan_from_manifest
from edge_agent.installer._recovery import INSTALLED, ROLLED_BACK, Recovery
from edge_agent.installer._source import BundleSource
from edge_agent.installer._stage import BundleRefused, stage
from shared.bundles import ArchiveLimits, BundleError, TrustedKeys, VerifiedBundle, open_bundle
from shared.checksums import TableDigest

logger = logging.getLogger(__name__)

HEALTH_GATE = "health-gate"
_OUTCOMES: dict[str, edge_pb2.BundleInstallOutcome] = {
    INSTALLED: edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED,
    ROLLED_BACK: edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK,
}


class StreamDigests(Protocol):
    """What the gate reads from the projection."""

    async def stream_digests(self) -> dict[str, TableDigest]:
        """Running checksum of each stream (no table scan)."""
        ...

    async def scan_digest(self, stream: str) -> TableDigest: ...


class GateChecks(Protocol):
    """What the health gate asks of the running daemon."""

    def connected(self) -> bool: ...

    async def pos_ui_page(self) -> bytes | None:
        """The POS UI's index page as served on loopback; None when not served."""
        ...


def report_of(record: dict[str, Any] | None, layout: ReleaseLayout) -> edge_pb2.BundleInstallReport:
    lkg = layout.last_known_good() or {}
    report = edge_pb2.BundleInstallReport(
        current_bundle=layout.current_release(), last_known_good=str(lkg.get("bundle_id", ""))
    )
    if record is not None:
        report.outcome = _OUTCOMES.get(
            str(record.get("outcome")), edge_pb2.BUNDLE_INSTALL_OUTCOME_UNSPECIFIED
        )
        report.bundle_id = str(record.get("bundle_id", ""))
        report.failed_step = str(record.get("failed_step", ""))
        report.message = str(record.get("message", ""))
        report.previous_bundle = str(record.get("previous", ""))
    return report


def installed_bundles(layout: ReleaseLayout) -> edge_pb2.InstalledBundles:
    """Current, last-known-good and last install, read from disk (blocking)."""
    last = layout.last_install()
    summary = report_of(None, layout)
    return edge_pb2.InstalledBundles(
        current_bundle=summary.current_bundle,
        last_known_good=summary.last_known_good,
        last_install=report_of(last, layout) if last else None,
    )


class InstallerService:
    def __init__(
        self,
        layout: ReleaseLayout,
        running: RunningRelease,
        *,
        leases: BasketLeases,
        source: BundleSource,
        trusted_keys: Callable[[], TrustedKeys],
        max_bundle_bytes: int,
        calendar: Callable[[], Awaitable[TradingCalendar | None]],
        projection: StreamDigests,
        request_restart: Callable[[], None],
        quiesce_max_seconds: float,
        gate_timeout_seconds: float,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._layout = layout
        self._running = running
        self._leases = leases
        self._source = source
        self._trusted_keys = trusted_keys
        self._max_bundle_bytes = max_bundle_bytes
        self._calendar = calendar
        self._projection = projection
        self._request_restart = request_restart
        self._quiesce_max = quiesce_max_seconds
        self._gate_timeout = gate_timeout_seconds
        self._now = now
        self._journal = JournalFile(layout)
        self._recovery = Recovery(layout)
        self._status = edge_pb2.InstalledBundles(current_bundle=running.bundle_id)
        self._gate: asyncio.Future[edge_pb2.BundleInstallReport | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._lock = asyncio.Lock()

    @property
    def running(self) -> RunningRelease:
        return self._running

    def installed(self) -> edge_pb2.InstalledBundles:
        """The last status read from disk (cheap; for the hello and the health page)."""
        return self._status

    async def refresh(self) -> edge_pb2.InstalledBundles:
        self._status = await asyncio.to_thread(installed_bundles, self._layout)
        return self._status

    def ui_dir(self) -> Path | None:
        if self._running.bundle_id == BASE_RELEASE:
            return None
        ui = self._layout.release_dir(self._running.bundle_id) / "ui"
        return ui if ui.is_dir() else None

    # --- the command ----------------------------------------------------------------------

    async def install(
        self, command_id: str, command: edge_pb2.InstallBundleCommand
    ) -> edge_pb2.BundleInstallReport | None:
        """The report, or None when the agent restarts to go on (the command stays open)."""
        async with self._lock:
            return await self._install(command_id, command)

    async def _install(
        self, command_id: str, command: edge_pb2.InstallBundleCommand
    ) -> edge_pb2.BundleInstallReport | None:
        journal = await asyncio.to_thread(self._journal.load)
        if journal is not None:
            if journal.command_id == command_id and self._running.trial:
                return await self._gate
            raise InstallBusy(
                f"the install of {journal.bundle_id} is under way (phase {journal.phase}); "
                "this command is taken up again when it has finished"
            )
        last = await asyncio.to_thread(self._layout.last_install)
        if last is not None and last.get("command_id") == command_id:
            return await asyncio.to_thread(report_of, last, self._layout)
        current = await asyncio.to_thread(self._layout.current_release)
        if command.bundle_id == current:
            report = await asyncio.to_thread(report_of, None, self._layout)
            report.outcome = edge_pb2.BUNDLE_INSTALL_OUTCOME_ALREADY_CURRENT
            report.bundle_id = command.bundle_id
            return report
        verified = await self._verify(command)
        try:
            plan = plan_from_manifest(verified.manifest)
        except PlanError as exc:
            raise BundleRejected(f"bundle {command.bundle_id}: {exc}; nothing installed") from None
        try:
            await asyncio.to_thread(stage, self._layout, plan, verified)
        except BundleRefused as exc:
            raise BundleRejected(f"bundle {plan.bundle_id}: {exc}; nothing installed") from None
        except BundleError as exc:
            raise self._bundle_failure(command.bundle_id, exc) from None
        except OSError as exc:  # a full or failing disk: nothing in use was touched
            raise BundleUnavailable(
                f"bundle {plan.bundle_id} could not be staged ({exc}); free disk space or "
                "check the disk, the cloud sends the command again"
            ) from None
        await self._wait_for_window(plan.bundle_id, command)
        try:
            digests = await self._projection.stream_digests()
            journal = Journal(
                bundle_id=plan.bundle_id,
                previous=current,
                command_id=command_id,
                steps=plan.step_names,
                kinds=plan.kinds,
                checksums={stream: d.hex for stream, d in digests.items()},
            )
            await asyncio.to_thread(self._journal.save, journal)
        except OSError as exc:
            self._leases.resume()
            raise BundleUnavailable(
                f"the install journal of {plan.bundle_id} could not be written ({exc}); nothing "
                "was changed, the cloud sends the command again"
            ) from None
        except BaseException:
            self._leases.resume()
            raise
        logger.info(
            "bundle %s staged and the store is quiet; restarting to apply %s",
            plan.bundle_id,
            ", ".join(plan.step_names),
        )
        self._request_restart()
        return None

    async def _verify(self, command: edge_pb2.InstallBundleCommand) -> VerifiedBundle:
        """The bundle with its signature and every payload hash checked; nothing written."""
        archive = await self._source.fetch(command)
        limit = self._max_bundle_bytes
        if command.size > 0:
            limit = min(limit, command.size)
        try:
            verified = await asyncio.to_thread(
                open_bundle,
                archive,
                await asyncio.to_thread(self._trusted_keys),
                ArchiveLimits(max_archive_bytes=limit),
            )
        except BundleError as exc:
            raise self._bundle_failure(command.bundle_id, exc) from None
        if command.sha256 and verified.archive_sha256 != command.sha256.lower():
            raise BundleRejected(
                f"bundle {command.bundle_id}: the archive's SHA-256 is {verified.archive_sha256}, "
                f"the command says {command.sha256}; nothing installed"
            )
        if verified.manifest.bundle_id != command.bundle_id:
            raise BundleRejected(
                f"the command asks for bundle {command.bundle_id} but the archive holds "
                f"{verified.manifest.bundle_id}; nothing installed"
            )
        return verified

    @staticmethod
    def _bundle_failure(bundle_id: str, exc: BundleError) -> Exception:
        if exc.retryable:
            return BundleUnavailable(f"bundle {bundle_id}: {exc}")
        return BundleRejected(f"bundle {bundle_id} refused: {exc}; nothing installed")

    async def _wait_for_window(
        self, bundle_id: str, command: edge_pb2.InstallBundleCommand
    ) -> None:
        now = self._now()
        calendar = await self._calendar()
        window_end: dt.datetime | None = None
        if calendar is not None and calendar.configured:
            if calendar.is_trading(now):
                window = calendar.next_window(now)
                local = window.astimezone(calendar.zone).isoformat() if window else "not soon"
                raise InstallDeferred(
                    f"the store trades now; bundle {bundle_id} is staged and installs in the "
                    f"next window outside trading hours (from {local}, store time)"
                )
            window_end = calendar.next_opening(now)
        wait = self._quiesce_max
        if command.HasField("deadline"):
            wait = min(wait, (command.deadline.ToDatetime(dt.UTC) - now).total_seconds())
        if window_end is not None:
            wait = min(wait, (window_end - now).total_seconds())
        if not await self._leases.quiesce(bundle_id, wait):
            raise InstallDeferred(
                f"{self._leases.open_count()} POS basket(s) stayed open for {max(wait, 0):.0f} s; "
                f"bundle {bundle_id} is staged and installs when the store is quiet (an open "
                "basket is never interrupted)"
            )

    # --- the health gate (new build on trial) ---------------------------------------------

    async def run_gate(self, checks: GateChecks, stopping: asyncio.Event) -> None:
        """On trial: pass the gate and commit, or fail it and ask for a rollback restart.
        Then (and off trial at once) wait for the agent to stop: a supervised part."""
        await self._decide_gate(checks, stopping)
        await stopping.wait()

    async def _decide_gate(self, checks: GateChecks, stopping: asyncio.Event) -> None:
        if not self._running.trial:
            self._gate.set_result(None)
            return
        journal = await asyncio.to_thread(self._journal.load)
        if journal is None or journal.phase is not Phase.TRIAL:
            logger.error("running on trial but no install is on trial; restarting")
            self._gate.set_result(None)
            self._request_restart()
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._gate_timeout
        problem = "not checked yet"
        while not stopping.is_set():
            problem = await self._gate_problem(checks)
            if not problem:
                break
            if loop.time() >= deadline:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=0.5)
        if stopping.is_set() and problem:
            self._gate.set_result(None)
            return  # the next start sees the trial again and rolls it back
        if problem:
            message = f"health gate not passed within {self._gate_timeout:.0f} s: {problem}"
            logger.error("release %s: %s; rolling back", journal.bundle_id, message)
            await asyncio.to_thread(self._recovery.request_roll_back, journal, HEALTH_GATE, message)
            self._gate.set_result(None)
            self._request_restart()
            return
        await asyncio.to_thread(self._recovery.begin_commit, journal)
        await self.refresh()
        last = await asyncio.to_thread(self._layout.last_install)
        self._gate.set_result(await asyncio.to_thread(report_of, last, self._layout))
        logger.info("release %s passed its health gate", journal.bundle_id)

    async def _gate_problem(self, checks: GateChecks) -> str:
        if not checks.connected():
            return "the control stream to the cloud is not connected"
        digests = await self._projection.stream_digests()
        for stream, digest in digests.items():
            scanned = await self._projection.scan_digest(stream)
            if scanned != digest:
                return (
                    f"projection stream {stream}: rows hash to {scanned.hex}, the "
                    f"checkpoint says {digest.hex}"
                )
        ui = self.ui_dir()
        if ui is not None:
            expected = await asyncio.to_thread((ui / "index.html").read_bytes)
            served = await checks.pos_ui_page()
            if served is None:
                return "the POS UI is not served on loopback"
            if served != expected:
                return "the POS UI served on loopback is not this release's"
        return ""
