"""Composition root of `commerce-edge run`: build the parts, supervise them, stop gracefully.

Phases: startup (identity, projection, health page), supervised loop (control stream and
renewal), shutdown on SIGTERM/SIGINT that lets an in-flight command finish; a second signal
cancels everything at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress

from edge_agent.config import AgentConfig, split_host_port
from edge_agent.control import ControlClient
from edge_agent.health import HealthServer, IdentitySummary, LiveStatus
from edge_agent.identity import CertificateFacts, RenewalTask, load_identity
from edge_agent.projection import Projection

logger = logging.getLogger(__name__)


class AgentDaemon:
    """One agent process for one store server."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.stopping = asyncio.Event()
        self.health: HealthServer | None = None
        self.control: ControlClient | None = None
        self._main: asyncio.Task[None] | None = None
        self._signals = 0

    def request_stop(self) -> None:
        """First call: drain and stop. Second call: stop now."""
        self._signals += 1
        if self._signals == 1:
            logger.info("stopping: finishing in-flight work (signal again to force)")
            self.stopping.set()
        elif self._main is not None:
            logger.warning("forced stop")
            self._main.cancel()

    async def run(self) -> None:
        """Run until stopped; raises what made startup impossible (e.g. `NotEnrolled`)."""
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
        live = LiveStatus(IdentitySummary.of(identity), projection.connection_state)
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                with suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self.request_stop)
                    installed.append(sig)
            if cfg.health_address:
                host, port = split_host_port(cfg.health_address)
                self.health = HealthServer(host, port, live.report)
                await self.health.start()
            self.control = ControlClient(
                data_dir=cfg.data_dir,
                projection=projection,
                agent_version=cfg.agent_version,
                reconnect_initial_seconds=cfg.reconnect_initial_seconds,
                reconnect_max_seconds=cfg.reconnect_max_seconds,
                welcome_timeout_seconds=cfg.rpc_timeout_seconds,
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
                }
            )
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            if self.health is not None:
                await self.health.stop()
            await projection.close()
            logger.info("commerce-edge stopped")

    def _renewed(self, live: LiveStatus, facts: CertificateFacts) -> None:
        live.certificate_renewed(facts)
        self._reconnect()

    def _reconnect(self) -> None:
        if self.control is not None:
            self.control.request_reconnect()

    async def _supervise(self, tasks: dict[asyncio.Future[None], str]) -> None:
        """Wait for a stop; if a part dies first, stop the rest and raise its error."""
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            failed = next((t for t in done if not t.cancelled() and t.exception()), None)
            if failed is not None and not self.stopping.is_set():
                logger.error("%s failed; stopping the agent", tasks[failed])
            self.stopping.set()
            await asyncio.gather(*tasks)  # drains: each part finishes what it holds
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
