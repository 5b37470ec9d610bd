"""Composition root of `commerce-edge run`: build the parts, supervise them, stop gracefully.

Phases: startup (identity, projection, outbox, health page, POS API), supervised loop
(control stream, renewal, downsync and upsync), shutdown on SIGTERM/SIGINT that lets an
in-flight command finish within `drain_timeout_seconds`; past that deadline, or on a second
signal, the agent exits anyway.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from edge_agent.config import AgentConfig, split_host_port
from edge_agent.control import ControlClient
from edge_agent.control.sync_channel import SyncChannel
from edge_agent.errors import CloudUnreachable, DrainTimedOut
from edge_agent.health import HealthServer, IdentitySummary, LiveStatus
from edge_agent.health_signals import HealthSignals
from edge_agent.identity import CertificateFacts, RenewalTask, load_identity
from edge_agent.installer import BasketLeases, InstallerService, RunningRelease
from edge_agent.installer.assembly import DaemonGateChecks, build_installer
from edge_agent.outbox import Outbox
from edge_agent.pos import PosServer, PosServicer
from edge_agent.projection import Projection
from edge_agent.realtime.parts import RealtimeParts
from edge_agent.replication.commands import ReplicationCommands
from edge_agent.replication.downsync import Downsync
from edge_agent.replication.file_watch import rebuild_after_start, watch_projection_file
from edge_agent.replication.upsync import Upsync, WakingOutbox
from edge_agent.transport import Keepalive

if TYPE_CHECKING:
    import grpc

logger = logging.getLogger(__name__)

_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# After the drain deadline, closing the parts (health page, projection) gets this long
# before a watchdog thread ends the process: nothing may keep a stopping agent alive.
EXIT_GRACE_SECONDS = 2.0
EXIT_DRAIN_TIMED_OUT = 1  # as `DrainTimedOut` through the CLI


class AgentDaemon:
    """One agent process for one store server."""

    def __init__(self, config: AgentConfig, release: RunningRelease | None = None) -> None:
        self.config = config
        self.release = release or RunningRelease()
        self.restart_requested = False
        self.installer: InstallerService | None = None
        self.leases = BasketLeases()
        self.signals = HealthSignals()
        """What the agent reports about its own health with its pulls."""
        self._sync_channel: SyncChannel | None = None
        self.stopping = asyncio.Event()
        self.health: HealthServer | None = None
        self.control: ControlClient | None = None
        self.pos: PosServer | None = None
        self.downsync: Downsync | None = None
        self.upsync: Upsync | None = None
        self.realtime: RealtimeParts | None = None
        self._main: asyncio.Task[None] | None = None
        self._signals = 0
        self._handles_signals = False
        self._watchdog: threading.Timer | None = None

    def request_stop(self) -> None:
        """First call: drain and stop. Second call: stop now."""
        self._signals += 1
        if self._signals == 1:
            if self._handles_signals:
                # From now on a signal ends the process at once (default action), even if
                # something holds the event loop.
                for sig in _SIGNALS:
                    with suppress(NotImplementedError, RuntimeError, ValueError):
                        asyncio.get_running_loop().remove_signal_handler(sig)
                        signal.signal(sig, signal.SIG_DFL)
            self._arm_watchdog(self.config.drain_timeout_seconds + EXIT_GRACE_SECONDS)
            logger.info(
                "stopping: finishing in-flight work for up to %.0f s (signal again to exit now)",
                self.config.drain_timeout_seconds,
            )
            self.stopping.set()
        elif self._main is not None:
            logger.warning("forced stop")
            self._arm_watchdog(EXIT_GRACE_SECONDS)
            self._main.cancel()

    def request_restart(self) -> None:
        """Stop gracefully; the caller then starts the agent again (an install goes on)."""
        self.restart_requested = True
        logger.info("restarting to carry on an install")
        self.stopping.set()

    def _bundle_channel(self) -> grpc.aio.Channel:
        """The control stream's connection, for bundle downloads."""
        if self._sync_channel is None:
            raise CloudUnreachable("the agent is not connected to the cloud yet")
        return self._sync_channel.channel()

    def _arm_watchdog(self, seconds: float) -> None:
        """A thread that ends the process if it still runs `seconds` from now."""
        if not self._handles_signals:
            return  # embedded (tests): the caller owns the process
        if self._watchdog is not None:
            self._watchdog.cancel()

        def expire() -> None:
            logger.error("still running %.0f s after the stop request; exiting now", seconds)
            logging.shutdown()
            os._exit(EXIT_DRAIN_TIMED_OUT)

        self._watchdog = threading.Timer(seconds, expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Run until stopped; raises what made startup impossible (e.g. `NotEnrolled`), or
        `DrainTimedOut` when a stop gave up on work in flight."""
        self._main = asyncio.current_task()
        cfg = self.config
        identity = load_identity(cfg.data_dir)
        logger.info(
            "commerce-edge %s starting as site %s (certificate serial %s, %.0f days left)",
            cfg.agent_version,
            identity.site_id,
            identity.certificate.serial_hex,
            identity.certificate.days_left(),
        )
        projection = await Projection.open(
            cfg.data_dir, busy_timeout_seconds=cfg.database_busy_timeout_seconds
        )
        try:
            outbox = await Outbox.open(
                cfg.data_dir, busy_timeout_seconds=cfg.database_busy_timeout_seconds
            )
        except BaseException:
            await projection.close()
            raise
        self.installer = build_installer(
            cfg.data_dir,
            self.release,
            projection,
            self.leases,
            self.request_restart,
            self._bundle_channel,
            bundle_dir=cfg.bundle_dir,
            trusted_keys_dir=cfg.trusted_keys_dir,
            max_bundle_bytes=cfg.max_bundle_bytes,
            quiesce_max_seconds=cfg.install_quiesce_max_seconds,
            gate_timeout_seconds=cfg.install_gate_timeout_seconds,
            rpc_timeout_seconds=cfg.rpc_timeout_seconds,
        )
        await self.installer.refresh()
        rebuilt = projection.rebuilt_at_start
        live = LiveStatus(
            IdentitySummary.of(identity),
            projection.connection_state,
            projection.streams,
            outbox.pending_now,
            self.installer.installed,
            outbox.refused_now,
            rebuilt.describe() if rebuilt is not None else "",
        )
        signals = self.signals
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        sync_channel: SyncChannel | None = None
        realtime: RealtimeParts | None = None
        try:
            if handle_signals:
                for sig in _SIGNALS:
                    with suppress(NotImplementedError, RuntimeError, ValueError):
                        loop.add_signal_handler(sig, self.request_stop)
                        installed.append(sig)
                self._handles_signals = bool(installed)
            if cfg.health_address:
                host, port = split_host_port(cfg.health_address)
                self.health = HealthServer(host, port, live.report, self.installer.ui_dir())
                await self.health.start()
            keepalive = Keepalive(cfg.keepalive_time_seconds, cfg.keepalive_timeout_seconds)
            sync_channel = SyncChannel(cfg.data_dir, keepalive, signals=signals)
            self._sync_channel = sync_channel
            sync_channel.attach(None)  # shares the control stream's connection once it is up
            self.downsync = Downsync(
                sync_channel,
                projection,
                rpc_timeout_seconds=cfg.rpc_timeout_seconds,
                outbox_pending=outbox.outbox_pending,
                signals=signals,
            )
            if rebuilt is not None:
                await rebuild_after_start(projection, self.downsync, rebuilt.describe())
            self.upsync = Upsync(sync_channel, outbox, rpc_timeout_seconds=cfg.rpc_timeout_seconds)
            realtime = await RealtimeParts.open(
                cfg.data_dir,
                projection,
                keepalive=keepalive,
                deadline_seconds=cfg.realtime_deadline_seconds,
                rpc_timeout_seconds=cfg.rpc_timeout_seconds,
                busy_timeout_seconds=cfg.database_busy_timeout_seconds,
            )
            self.realtime = realtime
            live.watch_realtime(lambda: realtime.latest if realtime else None)
            self.upsync = Upsync(
                sync_channel,
                outbox,
                rpc_timeout_seconds=cfg.rpc_timeout_seconds,
                batch_max_bytes=cfg.upsync_batch_max_bytes,
            )
            if cfg.pos_address:
                host, port = split_host_port(cfg.pos_address)
                waking = WakingOutbox(outbox, self.upsync)
                servicer = PosServicer(
                    identity.site_id,
                    projection,
                    waking,
                    realtime=realtime.router,
                    leases=self.leases,
                    signals=signals,
                )
                self.pos = PosServer(host, port, servicer)
                await self.pos.start()
            self.control = ControlClient(
                data_dir=cfg.data_dir,
                projection=projection,
                agent_version=cfg.agent_version,
                reconnect_initial_seconds=cfg.reconnect_initial_seconds,
                reconnect_max_seconds=cfg.reconnect_max_seconds,
                welcome_timeout_seconds=cfg.rpc_timeout_seconds,
                silence_timeout_seconds=cfg.silence_timeout_seconds,
                keepalive=keepalive,
                replication=ReplicationCommands(
                    self.downsync, self.upsync, projection, outbox, signals=signals
                ),
                on_changes=lambda _frame: self.downsync.poke() if self.downsync else None,
                on_channel=lambda channel: _attach_all(channel, sync_channel, realtime),
                compensations=realtime.journal,
                installer=self.installer,
                installed=self.installer.installed,
                signals=signals,
            )
            control = self.control
            gate = DaemonGateChecks(
                control.connected.is_set,
                lambda: self.health.port if self.health is not None else None,
            )
            renewal = RenewalTask(
                cfg.data_dir,
                check_seconds=cfg.renew_check_seconds,
                timeout=cfg.rpc_timeout_seconds,
                on_renewed=lambda facts: self._renewed(live, facts),
            )
            await self._supervise(
                {
                    asyncio.ensure_future(self.control.run(self.stopping)): "control stream",
                    asyncio.ensure_future(renewal.run(self.stopping)): "certificate renewal",
                    asyncio.ensure_future(
                        self.downsync.run(self.stopping, cfg.sync_interval_seconds)
                    ): "downsync",
                    asyncio.ensure_future(
                        self.upsync.run(self.stopping, cfg.sync_interval_seconds)
                    ): "upsync",
                    asyncio.ensure_future(
                        watch_projection_file(
                            projection, self.downsync, self.stopping, cfg.projection_check_seconds
                        )
                    ): "projection file watch",
                    realtime.run(self.stopping, cfg.sync_interval_seconds): "realtime settling",
                    asyncio.ensure_future(
                        self.installer.run_gate(gate, self.stopping)
                    ): "install health gate",
                }
            )
        finally:
            for sig in installed:
                with suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)
            if self.pos is not None:
                await self.pos.stop()  # calls in flight finish before their stores close
            if self.health is not None:
                await self.health.stop()
            if sync_channel is not None:
                await sync_channel.close()
            if realtime is not None:
                await realtime.close()
            await outbox.close()
            await projection.close()
            if self._watchdog is not None:
                self._watchdog.cancel()
            logger.info("commerce-edge stopped")

    def _renewed(self, live: LiveStatus, facts: CertificateFacts) -> None:
        live.certificate_renewed(facts)
        self._reconnect()

    def _reconnect(self) -> None:
        if self.control is not None:
            self.control.request_reconnect()

    async def _supervise(self, tasks: dict[asyncio.Future[None], str]) -> None:
        """Wait for a stop; if a part dies first, stop the rest and raise its error.

        After the stop each part finishes what it holds, within the drain deadline.
        """
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            failed = next((t for t in done if t.cancelled() or t.exception()), None)
            if failed is not None and not self.stopping.is_set():
                how = "was cancelled" if failed.cancelled() else "failed"
                logger.error("%s %s; stopping the agent", tasks[failed], how)
            self.stopping.set()
            drain = self.config.drain_timeout_seconds
            _, pending = await asyncio.wait(tasks, timeout=drain)
            if pending:
                names = ", ".join(sorted(tasks[t] for t in pending))
                logger.error(
                    "drain deadline of %.0f s passed with work in flight (%s); exiting anyway, "
                    "the cloud redelivers unfinished commands",
                    drain,
                    names,
                )
                raise DrainTimedOut(
                    f"stopped after the {drain:.0f} s drain deadline with work in flight "
                    f"({names}); the cloud redelivers unfinished commands"
                )
            await asyncio.gather(*tasks)  # raises the failure of a part, if any
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _attach_all(channel: Any, sync: SyncChannel, realtime: RealtimeParts) -> None:
    """Replication and real-time calls share the control stream's connection."""
    sync.attach(channel)
    realtime.attach(channel)
