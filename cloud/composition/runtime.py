"""Process lifecycle of `commerce-cloud serve|worker|gateway`: startup, run, graceful stop.

Composition room: opens the store, brings up Temporal (embedded dev server unless an
address is configured), then the worker and/or the edge gateway; SIGINT/SIGTERM drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.worker import Worker

from cloud.adapters.pki import FileCertificateAuthority
from cloud.adapters.store import CloudStore
from cloud.adapters.temporal_notifier import TemporalNotifier
from cloud.adapters.temporal_realtime import TemporalCompensations
from cloud.composition.realtime_assembly import realtime_ledger
from cloud.composition.worker import build_workers
from cloud.config import CloudConfig
from cloud.gateway.server import EdgeGateway, GatewayPorts
from cloud.temporal.connect import TemporalSettings, open_temporal
from shared.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass
class Running:
    """What a started cloud exposes (for the demo and tests)."""

    client: Client
    ui_url: str | None
    gateway: EdgeGateway | None
    ports: GatewayPorts | None


def polling_only(workers: list[Worker], task_queues: Sequence[str]) -> list[Worker]:
    """The workers of `task_queues` (all when empty); an unknown queue is a config error."""
    if not task_queues:
        return workers
    served = [w.task_queue for w in workers]
    unknown = sorted(set(task_queues) - set(served))
    if unknown:
        raise ConfigError(
            f"worker_task_queues: this worker serves no task queue {', '.join(unknown)}; "
            f"choose from {', '.join(served)}"
        )
    return [w for w in workers if w.task_queue in task_queues]


@contextlib.asynccontextmanager
async def running_cloud(
    config: CloudConfig, *, worker: bool = True, gateway: bool = True
) -> AsyncIterator[Running]:
    """Start the configured parts; stop them in reverse order on exit."""
    store = await asyncio.to_thread(CloudStore.open, config.store_url)
    try:
        settings = TemporalSettings.from_cloud_config(config)
        ui_url = settings.ui_url
        async with open_temporal(settings, data_dir=config.data_dir) as client:
            ca = await asyncio.to_thread(FileCertificateAuthority.open_or_create, config.pki_dir)
            edge: EdgeGateway | None = None
            ports: GatewayPorts | None = None
            if gateway:
                edge = EdgeGateway(
                    config,
                    store,
                    ca,
                    TemporalNotifier(client),
                    realtime=realtime_ledger(config, store),
                    compensations=TemporalCompensations(client),
                )
                ports = await edge.start()
            workers = (
                polling_only(
                    build_workers(client, config, store, edge.sessions if edge else None),
                    config.worker_task_queues,
                )
                if worker
                else []
            )
            worker_tasks = [
                asyncio.create_task(w.run(), name=f"worker:{w.task_queue}") for w in workers
            ]
            try:
                yield Running(client=client, ui_url=ui_url, gateway=edge, ports=ports)
            finally:
                await asyncio.gather(*(w.shutdown() for w in workers))
                for task in worker_tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                if edge is not None:
                    await edge.stop()
    finally:
        await asyncio.to_thread(store.close)


async def serve(config: CloudConfig, *, worker: bool, gateway: bool) -> None:
    """Run until SIGINT/SIGTERM; a second signal exits at once."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals > 1:
            logger.warning("second signal: exiting without draining")
            raise SystemExit(130)
        logger.info("stopping: draining in-flight work (signal again to force)")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    async with running_cloud(config, worker=worker, gateway=gateway) as cloud:
        if cloud.ui_url:
            logger.info("Temporal Web UI: %s", cloud.ui_url)
        logger.info("commerce cloud running (worker=%s, gateway=%s)", worker, gateway)
        await stop.wait()
